// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/http/gzip.hpp"

#include "support/gunzip.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace jobsessions::http {
namespace {

// What a client gets back from a gzip body: the original bytes, or "<corrupt>".
std::string decoded(std::string_view compressed)
{
    return test::gunzip(compressed).value_or("<corrupt>");
}

// A page of a log as the API writes it: JSON objects that repeat their field names.
std::string log_page(int entries)
{
    std::string page = R"({"jobSessionId":"7","log":[)";
    for (int i = 0; i < entries; ++i) {
        page += (i == 0 ? "" : ",");
        page += R"({"logTime":"2026-12-04T17:07:32.264166Z","status":"Success","message":"copied file-)" +
                std::to_string(i * 7919) + R"(.bin"})";
    }
    return page + "]}";
}

Request accepting(std::string_view accept_encoding)
{
    Request request;
    request.accept_encoding = accept_encoding;
    return request;
}

TEST(Gzip, CompressesToWhatAClientDecodesBackToTheSameBytes)
{
    const auto page = log_page(5000);
    std::string compressed = "left over";
    ASSERT_TRUE(gzip(page, compressed));
    EXPECT_EQ(static_cast<unsigned char>(compressed[0]), 0x1fU); // the gzip magic number
    EXPECT_EQ(static_cast<unsigned char>(compressed[1]), 0x8bU);
    EXPECT_LT(compressed.size() * 5, page.size());
    EXPECT_EQ(decoded(compressed), page);

    ASSERT_TRUE(gzip("", compressed));
    EXPECT_EQ(decoded(compressed), "");
}

TEST(Gzip, ALargeBodyGoesCompressedToAClientThatTakesGzip)
{
    const auto page = log_page(1000);
    Response response;
    response.content_type = "application/json; charset=utf-8";
    response.body = page;
    gzip_body_if_accepted(accepting("gzip, deflate, br"), response);
    EXPECT_NE(response.extra_headers.find("Content-Encoding: gzip\r\n"), std::string::npos);
    EXPECT_NE(response.extra_headers.find("Vary: Accept-Encoding\r\n"), std::string::npos);
    EXPECT_EQ(decoded(response.body_text()), page);
}

TEST(Gzip, ABodySharedWithACacheIsCompressedWithoutChangingTheCachedText)
{
    const auto page = std::make_shared<const std::string>(log_page(1000));
    Response response;
    response.shared_body = page;
    gzip_body_if_accepted(accepting("gzip"), response);
    EXPECT_EQ(response.shared_body, nullptr);
    EXPECT_EQ(decoded(response.body_text()), *page);
    EXPECT_EQ(*page, log_page(1000));
}

TEST(Gzip, ASharedBodyThatComesWithItsCompressedCopyIsSentAsThatCopy)
{
    const auto page = std::make_shared<const std::string>(log_page(1000));
    auto compressed = std::make_shared<std::string>();
    ASSERT_TRUE(gzip(*page, *compressed));
    const std::shared_ptr<const std::string> kept = compressed;
    // Compressed once, with the cache's text: a client that takes gzip is sent that very copy.
    Response taking;
    taking.shared_body = page;
    taking.shared_gzipped_body = kept;
    gzip_body_if_accepted(accepting("gzip"), taking);
    EXPECT_EQ(taking.shared_body, kept);
    EXPECT_NE(taking.extra_headers.find("Content-Encoding: gzip\r\n"), std::string::npos);
    EXPECT_NE(taking.extra_headers.find("Vary: Accept-Encoding\r\n"), std::string::npos);
    EXPECT_EQ(decoded(taking.body_text()), *page);
    // A client that does not take gzip gets the text.
    Response not_taking;
    not_taking.shared_body = page;
    not_taking.shared_gzipped_body = kept;
    gzip_body_if_accepted(accepting("identity"), not_taking);
    EXPECT_EQ(not_taking.body_text(), *page);
    EXPECT_EQ(not_taking.extra_headers, "Vary: Accept-Encoding\r\n");
}

TEST(Gzip, AClientThatDoesNotTakeGzipGetsTheBodyAsItIsWithVary)
{
    const auto page = log_page(1000);
    for (const std::string_view accept : {"", "identity", "br", "gzip;q=0", "*;q=0", "deflate"}) {
        Response response;
        response.body = page;
        gzip_body_if_accepted(accepting(accept), response);
        EXPECT_EQ(response.body_text(), page) << accept;
        EXPECT_EQ(response.extra_headers, "Vary: Accept-Encoding\r\n") << accept;
    }
    Response wildcard;
    wildcard.body = page;
    gzip_body_if_accepted(accepting("*"), wildcard);
    EXPECT_NE(wildcard.extra_headers.find("Content-Encoding: gzip\r\n"), std::string::npos);
}

TEST(Gzip, SmallBuiltInAndStreamedBodiesAreLeftAlone)
{
    Response small;
    small.body = std::string(kSmallestGzippedBody - 1, 'a');
    gzip_body_if_accepted(accepting("gzip"), small);
    EXPECT_EQ(small.body, std::string(kSmallestGzippedBody - 1, 'a'));
    EXPECT_EQ(small.extra_headers, "");

    // Built-in files come compressed ahead of time, in the form their handler chose.
    static const std::string built_in(kSmallestGzippedBody * 2, 'b');
    Response file;
    file.static_body = built_in;
    gzip_body_if_accepted(accepting("gzip"), file);
    EXPECT_EQ(file.body_text(), built_in);
    EXPECT_EQ(file.extra_headers, "");

    struct Silent final : BodySource {
        Step produce(std::string& /*out*/) override { return Step::Done; }
    };
    Response streamed;
    streamed.stream = std::make_shared<Silent>();
    streamed.body = std::string(kSmallestGzippedBody * 2, 'c');
    gzip_body_if_accepted(accepting("gzip"), streamed);
    EXPECT_EQ(streamed.extra_headers, "");
}

} // namespace
} // namespace jobsessions::http

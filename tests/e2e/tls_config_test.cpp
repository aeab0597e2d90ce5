// SPDX-License-Identifier: Apache-2.0
// The TLS the server speaks, as `openssl s_client` finds it: 1.2 and 1.3 only, forward-secret AEAD suites, no
// compression, renegotiation or session tickets.
#include "e2e/e2e_fixture.hpp"

namespace jobsessions::test {
namespace {

class TlsConfig : public ServerTest {
protected:
    void SetUp() override { start(true); }

    /// Runs `openssl s_client` against the server with `options`, sending `input`; stdout and stderr together.
    std::string s_client(const std::vector<std::string>& options, const std::string& input = "")
    {
        std::vector<std::string> argv{"/usr/bin/openssl", "s_client", "-connect", server_->host()};
        argv.insert(argv.end(), options.begin(), options.end());
        const auto result = run_program(argv, input);
        return result.out + result.err;
    }

    static constexpr const char* kRequest = "GET /api/v1/system/about HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
};

bool has(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

TEST_F(TlsConfig, OnlyTls12And13AreSpoken)
{
    // The client is told to offer the old versions at any security level, so that the refusal is the server's.
    for (const char* old : {"-tls1", "-tls1_1"}) {
        const auto out = s_client({old, "-cipher", "DEFAULT@SECLEVEL=0"});
        EXPECT_TRUE(has(out, "alert protocol version")) << old << '\n' << out;
        EXPECT_FALSE(has(out, "HTTP/1.1 200")) << out;
    }
    const auto v12 = s_client({"-tls1_2", "-ign_eof"}, kRequest);
    EXPECT_TRUE(has(v12, "New, TLSv1.2, Cipher is ECDHE-ECDSA-AES256-GCM-SHA384")) << v12;
    EXPECT_TRUE(has(v12, "HTTP/1.1 200 OK")) << v12;
    const auto v13 = s_client({"-tls1_3", "-ign_eof"}, kRequest);
    EXPECT_TRUE(has(v13, "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384")) << v13;
    EXPECT_TRUE(has(v13, "HTTP/1.1 200 OK")) << v13;
}

TEST_F(TlsConfig, SuitesWithoutForwardSecrecyOrAeadAreRefused)
{
    // CBC with SHA-1 and SHA-256 MACs, RSA key exchange (no forward secrecy), finite-field DHE, and no encryption.
    for (const char* weak : {"ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384", "AES128-GCM-SHA256", "AES256-SHA",
                             "DHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-NULL-SHA:@SECLEVEL=0"}) {
        const auto out = s_client({"-tls1_2", "-cipher", weak});
        EXPECT_TRUE(has(out, "handshake failure") || has(out, "no cipher match")) << weak << '\n' << out;
        EXPECT_FALSE(has(out, "CONNECTED(") && has(out, "Cipher is ECDHE")) << weak << '\n' << out;
    }
    // The forward-secret AEAD ones are taken, ChaCha20 included.
    const auto chacha = s_client({"-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305", "-ign_eof"}, kRequest);
    EXPECT_TRUE(has(chacha, "Cipher is ECDHE-ECDSA-CHACHA20-POLY1305")) << chacha;
}

TEST_F(TlsConfig, NoCompressionRenegotiationOrSessionTickets)
{
    // "R" asks s_client to renegotiate on the open connection.
    const auto renegotiation = s_client({"-tls1_2"}, "R\n");
    EXPECT_TRUE(has(renegotiation, "Compression: NONE")) << renegotiation;
    EXPECT_TRUE(has(renegotiation, "RENEGOTIATING")) << renegotiation;
    EXPECT_TRUE(has(renegotiation, "no renegotiation")) << renegotiation;
    // -msg shows every handshake message: no NewSessionTicket in either version, and no session to resume.
    for (const char* version : {"-tls1_2", "-tls1_3"}) {
        const auto out = s_client({version, "-msg", "-ign_eof"}, kRequest);
        EXPECT_TRUE(has(out, "HTTP/1.1 200 OK")) << out;
        EXPECT_FALSE(has(out, "NewSessionTicket")) << version << '\n' << out;
        EXPECT_FALSE(has(out, "TLS session ticket:")) << version << '\n' << out;
    }
}

} // namespace
} // namespace jobsessions::test

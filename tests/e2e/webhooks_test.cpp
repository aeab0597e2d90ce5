// SPDX-License-Identifier: Apache-2.0
// Webhooks through the real server: definitions, signed deliveries to a real receiver, retries, a restart with
// deliveries pending, and the receivers it refuses.
#include "e2e_fixture.hpp"
#include "support/webhook_receiver.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <sodium.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <thread>

namespace jobsessions::test {
namespace {

/// The README's check of a delivery's signature, with the openssl command line.
constexpr const char* kVerifyWithOpenssl = R"sh(
key=$(printf '%s' "${secret#whsec_}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
expected="v1,$({ printf '%s.%s.' "$id" "$ts"; cat body.json; } | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | base64 -w0)"
[ "$sig" = "$expected" ] && [ $(( $(date +%s) - ts )) -lt 300 ] && echo valid
)sh";

class WebhooksTest : public ServerTest {
protected:
    void SetUp() override { start(false, {"--webhooks-allow-private", "--webhooks-first-retry-ms", "100"}); }

    /// Creates a webhook as admin; returns its JSON.
    boost::json::object make_webhook(const std::string& body)
    {
        const auto res = client_->send_json("POST", "/api/v1/webhooks", body, admin_token());
        EXPECT_EQ(res.status, 201) << res.body;
        return res.json().as_object();
    }

    boost::json::object deliveries(const std::string& webhook_id)
    {
        const auto res = client_->get("/api/v1/webhooks/" + webhook_id + "/deliveries?limit=100", admin_token());
        EXPECT_EQ(res.status, 200) << res.body;
        return res.json().as_object();
    }

    /// Reads a webhook's deliveries until `done` holds for them, or 30 s pass. The outbox tells nobody when it
    /// records an attempt, so this looks again every 20 ms.
    bool deliveries_until(const std::string& webhook_id, const std::function<bool(const boost::json::array&)>& done)
    {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (std::chrono::steady_clock::now() < deadline) {
            if (done(deliveries(webhook_id).at("results").as_array())) {
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }
};

std::string event_of(const ReceivedPost& post)
{
    return std::string(boost::json::parse(post.body).at("type").as_string());
}

std::string session_of(const ReceivedPost& post)
{
    return std::string(boost::json::parse(post.body).at("data").at("id").as_string());
}

/// The signature a receiver computes: HMAC-SHA-256 over "id.timestamp.body" keyed with the secret's bytes.
std::string expected_signature(const std::string& secret, const ReceivedPost& post)
{
    const std::string encoded = secret.substr(6); // after whsec_
    std::string key(encoded.size(), '\0');
    std::size_t key_size = 0;
    EXPECT_EQ(sodium_base642bin(reinterpret_cast<unsigned char*>(key.data()), key.size(), encoded.data(),
                                encoded.size(), nullptr, &key_size, nullptr, sodium_base64_VARIANT_ORIGINAL),
              0);
    key.resize(key_size);
    const std::string content = post.header("webhook-id") + "." + post.header("webhook-timestamp") + "." + post.body;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(content.data()), content.size());
    crypto_auth_hmacsha256_final(&state, mac);
    char text[sodium_base64_ENCODED_LEN(sizeof mac, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(text, sizeof text, mac, sizeof mac, sodium_base64_VARIANT_ORIGINAL);
    return std::string("v1,") + text;
}

TEST_F(WebhooksTest, AdministratorsDefineWebhooksAndTheirSecretsAreShownOnce)
{
    const auto created = make_webhook(R"({"url":"https://hooks.example.com/jobs","events":["sessionFinished"],)"
                                      R"("statuses":["Error","Warning"],"description":"failures to chat"})");
    const auto id = str(created, "id");
    const auto secret = str(created, "secret");
    EXPECT_TRUE(secret.starts_with("whsec_")) << secret;
    EXPECT_EQ(str(created, "url"), "https://hooks.example.com/jobs");
    EXPECT_EQ(boost::json::serialize(created.at("statuses")), R"(["Error","Warning"])");
    EXPECT_EQ(created.at("enabled").as_bool(), true);

    // Read back: the secret is never shown again.
    const auto got = client_->get("/api/v1/webhooks/" + id, admin_token());
    ASSERT_EQ(got.status, 200) << got.body;
    EXPECT_FALSE(got.json().as_object().contains("secret"));
    EXPECT_EQ(got.body.find(secret), std::string::npos);
    const auto list = client_->get("/api/v1/webhooks", admin_token());
    ASSERT_EQ(list.status, 200);
    EXPECT_EQ(list.json().at("totalCount").as_int64(), 1);
    EXPECT_EQ(list.body.find(secret), std::string::npos);

    // Replaced without a secret: the secret is kept, and not shown.
    const auto replaced = client_->send_json(
        "PUT", "/api/v1/webhooks/" + id,
        R"({"url":"https://hooks.example.com/v2","events":["sessionStarted","SESSIONFINISHED"],"enabled":false})",
        admin_token());
    ASSERT_EQ(replaced.status, 200) << replaced.body;
    EXPECT_EQ(str(replaced.json(), "url"), "https://hooks.example.com/v2");
    EXPECT_EQ(boost::json::serialize(replaced.json().at("events")), R"(["sessionStarted","sessionFinished"])");
    EXPECT_FALSE(replaced.json().as_object().contains("secret"));

    // Bad definitions are refused, each naming its member, and change nothing.
    const std::vector<std::pair<std::string, std::string>> bad{
        {R"({"events":["sessionFinished"]})", "url"},
        {R"({"url":"ftp://example.com/","events":["sessionFinished"]})", "url"},
        {R"({"url":"https://user:pw@example.com/","events":["sessionFinished"]})", "url"},
        {R"({"url":"https://example.com/"})", "events"},
        {R"({"url":"https://example.com/","events":[]})", "events"},
        {R"({"url":"https://example.com/","events":["sessionExploded"]})", "events"},
        {R"({"url":"https://example.com/","events":["sessionFinished"],"types":["Nope"]})", "types"},
        {R"({"url":"https://example.com/","events":["sessionFinished"],"statuses":"Error"})", "statuses"},
        {R"({"url":"https://example.com/","events":["sessionFinished"],"secret":"hunter2"})", "secret"},
        {R"({"url":"https://example.com/","events":["sessionFinished"],"enabled":"yes"})", "enabled"},
    };
    for (const auto& [body, field] : bad) {
        const auto res = client_->send_json("POST", "/api/v1/webhooks", body, admin_token());
        EXPECT_EQ(res.status, 400) << body;
        EXPECT_NE(res.body.find("\"" + field + "\""), std::string::npos) << body << " -> " << res.body;
    }
    EXPECT_EQ(client_->get("/api/v1/webhooks", admin_token()).json().at("totalCount").as_int64(), 1);

    // Only Administrators see or change webhooks.
    for (const char* role : {"Viewer", "Operator", "Monitor"}) {
        const auto token = login_new_user(std::string("user-") + role, role);
        EXPECT_EQ(client_->get("/api/v1/webhooks", token).status, 403) << role;
        EXPECT_EQ(client_
                      ->send_json("POST", "/api/v1/webhooks",
                                  R"({"url":"https://a.example/","events":["sessionStarted"]})", token)
                      .status,
                  403)
            << role;
    }

    EXPECT_EQ(
        client_->request("DELETE", "/api/v1/webhooks/" + id, "", {{"Authorization", "Bearer " + admin_token()}}).status,
        204);
    EXPECT_EQ(client_->get("/api/v1/webhooks/" + id, admin_token()).status, 404);
    EXPECT_EQ(client_->get("/api/v1/webhooks/" + id + "/deliveries", admin_token()).status, 404);
}

TEST_F(WebhooksTest, DeliversSignedEventsOfEachSessionInOrder)
{
    WebhookReceiver receiver;
    const auto hook = make_webhook(R"({"url":")" + receiver.url() +
                                   R"(","events":["sessionStarted","sessionStatusChanged","sessionFinished"],)"
                                   R"("types":["PolicyBackup"]})");
    const auto secret = str(hook, "secret");

    const auto id = str(create(R"({"type":"PolicyBackup"})"), "id");
    create(R"({"type":"HealthCheck","status":"Success"})"); // another type: not told
    ASSERT_TRUE(receiver.wait_until([](const auto& got) { return got.size() == 1; }));
    ASSERT_EQ(
        client_->send_json("PATCH", "/api/v1/jobSessions/" + id, R"({"status":"RunningWithWarning"})", admin_token())
            .status,
        200);
    ASSERT_TRUE(receiver.wait_until([](const auto& got) { return got.size() == 2; }));
    ASSERT_EQ(client_->send_json("PATCH", "/api/v1/jobSessions/" + id, R"({"status":"Warning"})", admin_token()).status,
              200);
    ASSERT_TRUE(receiver.wait_until([](const auto& got) { return got.size() == 4; }));

    const auto got = receiver.received();
    std::vector<std::string> events;
    for (const auto& post : got) {
        events.push_back(event_of(post));
        EXPECT_EQ(session_of(post), id);
        EXPECT_EQ(post.target, "/hook");
        EXPECT_EQ(post.header("content-type"), "application/json");
        EXPECT_TRUE(post.header("user-agent").starts_with("jobsessions/"));
        EXPECT_EQ(post.header("connection"), "close");
        EXPECT_EQ(post.header("webhook-signature"), expected_signature(secret, post));
    }
    EXPECT_EQ(events, (std::vector<std::string>{"sessionStarted", "sessionStatusChanged", "sessionStatusChanged",
                                                "sessionFinished"}));
    // The session as GET shows it, as it was when the event happened.
    const auto last = boost::json::parse(got.back().body);
    EXPECT_EQ(last.at("data").at("status").as_string(), "Warning");
    EXPECT_EQ(last.at("data").at("type").as_string(), "PolicyBackup");
    EXPECT_TRUE(last.at("data").as_object().contains("executionDuration"));
    EXPECT_TRUE(last.at("timestamp").as_string().ends_with("Z"));
    // Each delivery has its own id, increasing in the order they were made.
    EXPECT_LT(std::stoll(got[0].header("webhook-id")), std::stoll(got[1].header("webhook-id")));

    // The check the README gives, with openssl.
    const TempDir work;
    std::ofstream(work.file("body.json"), std::ios::binary) << got.back().body;
    const auto checked = run_program({"/bin/bash", "-c", "cd " + work.file("") + " && " + kVerifyWithOpenssl}, "",
                                     {{"secret", secret},
                                      {"id", got.back().header("webhook-id")},
                                      {"ts", got.back().header("webhook-timestamp")},
                                      {"sig", got.back().header("webhook-signature")}});
    EXPECT_EQ(checked.out, "valid\n") << checked.err;
    // A body changed on the way fails it.
    std::ofstream(work.file("body.json"), std::ios::binary) << got.back().body << " ";
    const auto tampered = run_program({"/bin/bash", "-c", "cd " + work.file("") + " && " + kVerifyWithOpenssl}, "",
                                      {{"secret", secret},
                                       {"id", got.back().header("webhook-id")},
                                       {"ts", got.back().header("webhook-timestamp")},
                                       {"sig", got.back().header("webhook-signature")}});
    EXPECT_EQ(tampered.out, "");

    // Every attempt is readable through the API.
    const auto page = deliveries(str(hook, "id"));
    EXPECT_EQ(page.at("totalCount").as_int64(), 4);
    const auto& newest = page.at("results").as_array().at(0);
    EXPECT_EQ(newest.at("event").as_string(), "sessionFinished");
    EXPECT_EQ(newest.at("sessionId").as_string(), id);
}

TEST_F(WebhooksTest, RetriesAFailedDeliveryUntilTheReceiverAcceptsIt)
{
    WebhookReceiver receiver;
    receiver.answer(
        [](const ReceivedPost&, const std::vector<ReceivedPost>& before) { return before.size() < 3 ? 500 : 204; });
    const auto hook = make_webhook(R"({"url":")" + receiver.url() + R"(","events":["sessionFinished"]})");
    const auto id = str(create(R"({"type":"PolicyBackup","status":"Error"})"), "id");
    ASSERT_TRUE(receiver.wait_until([](const auto& got) { return got.size() == 4; }));
    const auto got = receiver.received();
    for (const auto& post : got) {
        EXPECT_EQ(post.header("webhook-id"), got[0].header("webhook-id")); // the same delivery each time
        EXPECT_EQ(post.body, got[0].body);
        EXPECT_EQ(event_of(post), "sessionFinished");
        EXPECT_EQ(session_of(post), id);
    }
    ASSERT_TRUE(deliveries_until(str(hook, "id"), [](const boost::json::array& results) {
        return results.size() == 1 && results[0].at("state").as_string() == "delivered";
    }));
    const auto delivery = deliveries(str(hook, "id")).at("results").as_array().at(0);
    const auto& attempts = delivery.at("attempts").as_array();
    ASSERT_EQ(attempts.size(), 4U);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(attempts[i].at("statusCode").as_int64(), 500);
        EXPECT_EQ(attempts[i].at("error").as_string(), "answered 500");
        EXPECT_EQ(attempts[i].at("number").as_int64(), static_cast<std::int64_t>(i + 1));
    }
    EXPECT_EQ(attempts[3].at("statusCode").as_int64(), 204);
    EXPECT_TRUE(attempts[3].at("error").is_null());
    EXPECT_TRUE(delivery.at("nextAttemptAt").is_null());
    // Backoff: each retry waited longer than the one before, from the first retry's 100 ms (less jitter) on.
    const auto time_of = [&](std::size_t i) { return std::string(attempts[i].at("time").as_string()); };
    EXPECT_LT(time_of(0), time_of(1));
    EXPECT_LT(time_of(1), time_of(2));
}

/// The posts a receiver accepted (answered 200).
std::vector<ReceivedPost> accepted(const std::vector<ReceivedPost>& got)
{
    std::vector<ReceivedPost> out;
    std::copy_if(got.begin(), got.end(), std::back_inserter(out), [](const auto& p) { return p.answered == 200; });
    return out;
}

/// The events `got` tells of session `id`, in the order they came.
std::vector<std::string> events_of(const std::vector<ReceivedPost>& got, const std::string& id)
{
    std::vector<std::string> events;
    for (const auto& post : got) {
        if (session_of(post) == id) {
            events.push_back(event_of(post));
        }
    }
    return events;
}

TEST_F(WebhooksTest, PendingDeliveriesSurviveARestartAndArriveOnceInOrder)
{
    // One receiver is down until the restart; another is up all along, and is not held up by the first.
    WebhookReceiver down;
    down.answer([](const ReceivedPost&, const std::vector<ReceivedPost>&) { return 503; });
    WebhookReceiver up;
    const std::string events = R"(","events":["sessionStarted","sessionStatusChanged","sessionFinished"]})";
    make_webhook(R"({"url":")" + down.url() + events);
    make_webhook(R"({"url":")" + up.url() + events);
    std::vector<std::string> ids;
    for (int i = 0; i < 2; ++i) {
        const auto id = str(create(R"({"type":"PolicyBackup"})"), "id");
        ids.push_back(id);
        // Its start was seen (the receiver that is up heard of it); then it ends.
        ASSERT_TRUE(up.wait_until([&](const auto& got) { return !events_of(got, id).empty(); }));
        ASSERT_EQ(
            client_->send_json("PATCH", "/api/v1/jobSessions/" + id, R"({"status":"Success"})", admin_token()).status,
            200);
    }
    ASSERT_TRUE(up.wait_until([](const auto& got) { return got.size() == 6; }));
    ASSERT_TRUE(down.wait_until([](const auto& got) { return !got.empty(); })); // tried, and refused
    EXPECT_EQ(server_->terminate(), 0);
    down.answer([](const ReceivedPost&, const std::vector<ReceivedPost>&) { return 200; });
    start(false, {"--webhooks-allow-private", "--webhooks-first-retry-ms", "100"});

    ASSERT_TRUE(down.wait_until([&](const auto& got) { return accepted(got).size() == 6; })) << down.received().size();
    for (auto* receiver : {&down, &up}) {
        const auto got = accepted(receiver->received());
        for (const auto& id : ids) {
            EXPECT_EQ(events_of(got, id),
                      (std::vector<std::string>{"sessionStarted", "sessionStatusChanged", "sessionFinished"}))
                << id;
        }
        std::set<std::string> delivery_ids;
        for (const auto& post : got) {
            EXPECT_TRUE(delivery_ids.insert(post.header("webhook-id")).second) << "delivered twice: " << post.body;
        }
    }
}

TEST_F(WebhooksTest, ReceiversOnPrivateAddressesAreRefusedUnlessAllowed)
{
    start(false, {"--webhooks-first-retry-ms", "100"}); // without --webhooks-allow-private
    WebhookReceiver receiver;
    for (const char* url : {"http://127.0.0.1:9/hook", "http://10.1.2.3/", "http://[::1]/", "http://169.254.169.254/",
                            "http://[::ffff:192.168.0.1]/"}) {
        const auto res =
            client_->send_json("POST", "/api/v1/webhooks",
                               std::string(R"({"url":")") + url + R"(","events":["sessionStarted"]})", admin_token());
        EXPECT_EQ(res.status, 400) << url;
        EXPECT_NE(res.body.find("--webhooks-allow-private"), std::string::npos) << res.body;
    }
    // A name is resolved when posting: localhost is refused then, and nothing reaches the receiver.
    const auto hook = make_webhook(R"({"url":"http://localhost:)" + std::to_string(receiver.port()) +
                                   R"(/hook","events":["sessionStarted"]})");
    create(R"({"type":"PolicyBackup"})");
    ASSERT_TRUE(deliveries_until(str(hook, "id"), [](const boost::json::array& results) {
        return results.size() == 1 && !results[0].at("attempts").as_array().empty();
    }));
    const auto attempt = deliveries(str(hook, "id")).at("results").at(0).at("attempts").at(0);
    EXPECT_TRUE(attempt.at("statusCode").is_null());
    const std::string error(attempt.at("error").as_string());
    EXPECT_NE(error.find("loopback address"), std::string::npos) << error;
    EXPECT_TRUE(receiver.received().empty());
}

TEST_F(WebhooksTest, TheReceiversCertificateIsVerified)
{
    const TempDir certs;
    make_receiver_certificate(certs.file(""));
    WebhookReceiver receiver(certs.file("cert.pem"), certs.file("key.pem"));

    // Not signed by a CA the server trusts: refused in the handshake, nothing is posted.
    const auto untrusted = make_webhook(R"({"url":")" + receiver.url() + R"(","events":["sessionStarted"]})");
    create(R"({"type":"PolicyBackup"})");
    ASSERT_TRUE(deliveries_until(str(untrusted, "id"), [](const boost::json::array& results) {
        return results.size() == 1 && !results[0].at("attempts").as_array().empty();
    }));
    const std::string error(
        deliveries(str(untrusted, "id")).at("results").at(0).at("attempts").at(0).at("error").as_string());
    EXPECT_NE(error.find("certificate not trusted"), std::string::npos) << error;
    EXPECT_TRUE(receiver.received().empty());

    // With its CA given, the delivery goes through, verified.
    start(false, {"--webhooks-allow-private", "--webhooks-ca-file", certs.file("cert.pem")});
    ASSERT_TRUE(receiver.wait_until([](const auto& got) { return !got.empty(); }));
    EXPECT_EQ(event_of(receiver.received().at(0)), "sessionStarted");
}

} // namespace
} // namespace jobsessions::test

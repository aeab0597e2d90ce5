// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/http/tls.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <stdexcept>
#include <sys/stat.h>

namespace jobsessions::http {
namespace {

template <class T, void (*Free)(T*)> struct Deleter {
    void operator()(T* p) const noexcept { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

struct FileCloser {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

std::string openssl_error(const std::string& what)
{
    std::string message = what;
    if (const unsigned long code = ERR_get_error(); code != 0) {
        char buf[256];
        ERR_error_string_n(code, buf, sizeof buf);
        message += ": ";
        message += buf;
    }
    ERR_clear_error();
    return message;
}

void add_extension(X509* cert, int nid, const std::string& value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
        throw std::runtime_error(openssl_error("cannot add certificate extension"));
    }
}

FilePtr open_for_write(const std::string& path, mode_t mode)
{
    // Create with the final mode, so the private key is never readable by others, not even for a moment.
    const mode_t previous = ::umask(0);
    ::umask(previous | (0777 & ~mode));
    FilePtr file(std::fopen(path.c_str(), "wx"));
    ::umask(previous);
    if (!file) {
        throw std::runtime_error("cannot create " + path);
    }
    return file;
}

} // namespace

void generate_self_signed(const CertificateFiles& files, const std::string& host_name)
{
    PkeyPtr key(EVP_EC_gen("P-256"));
    if (!key) {
        throw std::runtime_error(openssl_error("cannot generate a key"));
    }
    X509Ptr cert(X509_new());
    if (!cert) {
        throw std::runtime_error(openssl_error("cannot allocate a certificate"));
    }
    X509_set_version(cert.get(), X509_VERSION_3);
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1) {
        throw std::runtime_error(openssl_error("no randomness for the serial number"));
    }
    serial[0] &= 0x7f; // keep the serial positive
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3650L * 24 * 3600);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("jobsessions"), -1, -1,
                               0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(host_name.c_str()), -1,
                               -1, 0);
    X509_set_issuer_name(cert.get(), name);
    std::string alt_names = "DNS:localhost,IP:127.0.0.1,IP:::1";
    if (!host_name.empty() && host_name != "localhost") {
        alt_names = "DNS:" + host_name + "," + alt_names;
    }
    add_extension(cert.get(), NID_subject_alt_name, alt_names);
    add_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), NID_key_usage, "critical,digitalSignature,keyCertSign");
    add_extension(cert.get(), NID_ext_key_usage, "serverAuth");
    add_extension(cert.get(), NID_subject_key_identifier, "hash");
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
        throw std::runtime_error(openssl_error("cannot sign the certificate"));
    }
    {
        auto file = open_for_write(files.key_path, 0600);
        if (PEM_write_PrivateKey(file.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
            throw std::runtime_error(openssl_error("cannot write " + files.key_path));
        }
    }
    auto file = open_for_write(files.certificate_path, 0644);
    if (PEM_write_X509(file.get(), cert.get()) != 1) {
        throw std::runtime_error(openssl_error("cannot write " + files.certificate_path));
    }
}

std::string certificate_fingerprint(const std::string& certificate_path)
{
    FilePtr file(std::fopen(certificate_path.c_str(), "r"));
    if (!file) {
        throw std::runtime_error("cannot read " + certificate_path);
    }
    X509Ptr cert(PEM_read_X509(file.get(), nullptr, nullptr, nullptr));
    if (!cert) {
        throw std::runtime_error(openssl_error("no certificate in " + certificate_path));
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (X509_digest(cert.get(), EVP_sha256(), digest, &size) != 1) {
        throw std::runtime_error(openssl_error("cannot hash " + certificate_path));
    }
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned int i = 0; i < size; ++i) {
        if (i > 0) {
            out.push_back(':');
        }
        out.push_back(kHex[digest[i] >> 4]);
        out.push_back(kHex[digest[i] & 0xf]);
    }
    return out;
}

std::shared_ptr<boost::asio::ssl::context> make_server_tls_context(const CertificateFiles& files)
{
    namespace ssl = boost::asio::ssl;
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression | ssl::context::single_dh_use);
    SSL_CTX* native = ctx->native_handle();
    // TLS 1.2 and 1.3 only.
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    // TLS 1.2: forward-secret key exchange and AEAD ciphers only. TLS 1.3 has nothing else; its suites are named
    // all the same, so that no build default widens them.
    if (SSL_CTX_set_cipher_list(native, "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL") != 1 ||
        SSL_CTX_set_ciphersuites(native,
                                 "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256") != 1 ||
        SSL_CTX_set1_groups_list(native, "X25519:P-256:P-384") != 1) {
        throw std::runtime_error(openssl_error("cannot set the TLS ciphers"));
    }
    // No renegotiation, no compression (above), and no session tickets: a ticket key that lives as long as the
    // process would let one stolen key decrypt every session since the start. Without tickets or a session cache,
    // each connection makes a full handshake, which API clients do once per keep-alive connection.
    SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(native, 0);
    SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
    // An idle connection gives its record buffers back (about 34 KiB each), as nginx's do.
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
    boost::system::error_code ec;
    ctx->use_certificate_chain_file(files.certificate_path, ec);
    if (ec) {
        throw std::runtime_error("cannot use the certificate " + files.certificate_path + ": " + ec.message());
    }
    ctx->use_private_key_file(files.key_path, ssl::context::pem, ec);
    if (ec) {
        throw std::runtime_error("cannot use the private key " + files.key_path + ": " + ec.message());
    }
    if (SSL_CTX_check_private_key(native) != 1) {
        throw std::runtime_error("the private key " + files.key_path + " does not match the certificate");
    }
    return ctx;
}

} // namespace jobsessions::http

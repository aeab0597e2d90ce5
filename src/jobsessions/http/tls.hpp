// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/system/result.hpp>

#include <memory>
#include <string>

namespace jobsessions::http {

/// A certificate and key on disk.
struct CertificateFiles {
    std::string certificate_path;
    std::string key_path;
};

/// Writes a self-signed certificate (EC P-256, valid ten years) for `host_name`, `localhost`, `127.0.0.1` and
/// `::1` to the two paths; the key file is readable by its owner only. Throws std::runtime_error on failure.
void generate_self_signed(const CertificateFiles& files, const std::string& host_name);

/// The SHA-256 fingerprint of a PEM certificate file, as colon-separated upper-case hex.
std::string certificate_fingerprint(const std::string& certificate_path);

/// A server TLS context (TLS 1.2 and 1.3 only, forward-secret AEAD ciphers, no renegotiation, compression or
/// session tickets) with this certificate and key.
/// Throws std::runtime_error with a readable message when the files cannot be used.
std::shared_ptr<boost::asio::ssl::context> make_server_tls_context(const CertificateFiles& files);

} // namespace jobsessions::http

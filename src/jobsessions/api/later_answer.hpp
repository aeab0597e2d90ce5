// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/api/context.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/request_log.hpp"
#include "jobsessions/http/body_source.hpp"
#include "jobsessions/service/outcome.hpp"

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace jobsessions::api {

/// An answer that waits for the store on the I/O thread's event loop (a store across a socket), holding no thread
/// meanwhile, and is sent whole once complete. A subclass starts its read in produce() the first time it is asked,
/// keeps the reply (which comes on the same thread) and calls woken(); produce() then appends the body, or
/// records a failure. complete() writes the failure as a problem, or the JSON body (compressed when it is large and
/// the client takes gzip), and logs the request once its status is known, as a handler's would be.
class LaterAnswer : public http::BodySource {
public:
    /// How long the store's reply is waited for before the request is answered 503.
    static constexpr auto kReplyLimit = std::chrono::seconds(30);

    /// Makes `answer` the answer to `ctx`'s request, sent once complete.
    static void answer_later(Context& ctx, std::shared_ptr<LaterAnswer> answer);

    [[nodiscard]] bool blocking() const override { return false; }
    void set_waker(const std::function<void()>& wake) override { wake_ = wake; }
    [[nodiscard]] std::chrono::milliseconds wait_limit() const override { return kReplyLimit; }
    void complete(http::Response& response) final;

protected:
    explicit LaterAnswer(Context& ctx);

    /// Notes that the read starts now.
    void asked() { asked_at_ = std::chrono::steady_clock::now(); }
    [[nodiscard]] bool was_asked() const noexcept { return asked_at_.has_value(); }
    /// The reply has come: produce() is called again.
    void woken() const
    {
        if (wake_) {
            wake_();
        }
    }
    /// Whether the reply is given up on (the answer is then 503); otherwise it is still waited for.
    bool gave_up();
    /// The answer is a failure: the exception being handled (an ApiError, or any other as a 500).
    void failed() { failure_ = std::current_exception(); }
    /// A body that complete() sends instead of the one produce() gathered (a page kept whole).
    virtual void replace_body(http::Response& /*response*/) {}
    /// The request's Accept-Encoding.
    [[nodiscard]] std::string_view accept_encoding() const noexcept { return accept_encoding_; }

    Services& services_;
    boost::asio::io_context& io_;

private:
    std::string accept_encoding_;
    std::string instance_;
    std::string trace_id_;
    RequestLog log_;
    std::function<void()> wake_;
    std::optional<std::chrono::steady_clock::time_point> asked_at_;
    std::exception_ptr failure_;
};

/// A LaterAnswer whose read gives one outcome of a service: asked once, written into the body when it comes, its
/// failure the problem answered.
template <class T> class OutcomeAnswer : public LaterAnswer, public std::enable_shared_from_this<OutcomeAnswer<T>> {
public:
    using Reply = std::function<void(service::Outcome<T>)>;

    Step produce(std::string& out) final
    {
        if (!was_asked()) {
            asked();
            ask([self = this->shared_from_this()](service::Outcome<T> outcome) {
                self->outcome_ = std::move(outcome);
                self->woken();
            });
        }
        if (!outcome_) {
            return gave_up() ? Step::Done : Step::Wait;
        }
        try {
            if (!*outcome_) {
                throw_domain_error(outcome_->error());
            }
            write(out, **outcome_);
        } catch (...) {
            failed();
        }
        return Step::Done;
    }

protected:
    using LaterAnswer::LaterAnswer;
    /// Starts the read, whose reply comes on this thread.
    virtual void ask(Reply reply) = 0;
    /// Appends the body the outcome makes.
    virtual void write(std::string& out, const T& value) = 0;

private:
    std::optional<service::Outcome<T>> outcome_;
};

} // namespace jobsessions::api

// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/http/server.hpp"

#include "jobsessions/http/request_parser.hpp"
#include "jobsessions/http/tls_stream.hpp"
#include "jobsessions/log/log.hpp"
#include "jobsessions/util/strings.hpp"
#include "jobsessions/util/thread_name.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <limits>
#include <list>
#include <mutex>
#include <optional>
#include <sys/socket.h>
#include <tuple>
#include <type_traits>
#include <utility>

namespace jobsessions::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

namespace {

/// What the sweeper needs to know of a connection. Lives on its worker's thread only.
struct ConnectionState {
    tcp::socket* socket = nullptr;
    Clock::time_point deadline = Clock::time_point::max();
    /// Between requests: safe to close on shutdown.
    bool waiting_for_request = false;
    /// A handler is running, or a streamed body waits for news: no deadline applies.
    bool in_handler = false;
    /// Set while a streamed body waits: ends the wait so the stream can finish on shutdown.
    std::function<void()> interrupt;
    /// The connection's own buffers (request fields and body, response head and body), freed by the sweeper once
    /// the connection has waited a second for its next request: a pool of idle keep-alive connections holds
    /// nothing but its TLS state, while a busy one reuses its buffers from request to request.
    std::array<std::string*, 4> buffers{};

    /// Frees each of the buffers above whose capacity is over `largest_kept`.
    void release_buffers(std::size_t largest_kept)
    {
        for (auto* buffer : buffers) {
            if (buffer != nullptr && buffer->capacity() > largest_kept) {
                std::string().swap(*buffer);
            }
        }
    }
};

/// Returns the current `Date:` value, formatted at most once a second per thread.
std::string_view http_date()
{
    thread_local std::time_t cached_second = 0;
    thread_local std::array<char, 32> cached{};
    thread_local std::size_t cached_size = 0;
    const std::time_t now = std::time(nullptr);
    if (now != cached_second) {
        std::tm tm{};
        gmtime_r(&now, &tm);
        cached_size = std::strftime(cached.data(), cached.size(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        cached_second = now;
    }
    return {cached.data(), cached_size};
}

/// The most a buffer of an idle connection keeps.
constexpr std::size_t kLargestKeptBuffer = 4096;
/// What a read asks for.
constexpr std::size_t kReadBytes = std::size_t{16} * 1024;

/// How the body's length is told.
enum class Framing : std::uint8_t { ContentLength, Chunked, UntilClose };

void append_head(std::string& head, const Response& response, bool close, Framing framing = Framing::ContentLength)
{
    head.clear();
    head.append("HTTP/1.1 ");
    util::append_int(head, response.status);
    head.push_back(' ');
    head.append(reason_phrase(response.status));
    head.append("\r\nDate: ");
    head.append(http_date());
    head.append("\r\nServer: jobsessiond\r\n");
    if (!response.content_type.empty()) {
        head.append("Content-Type: ");
        head.append(response.content_type);
        head.append("\r\n");
    }
    if (framing == Framing::Chunked) {
        head.append("Transfer-Encoding: chunked\r\n");
    } else if (framing == Framing::ContentLength && response.status != 204 && response.status != 304 &&
               response.status >= 200) {
        head.append("Content-Length: ");
        util::append_int(head, static_cast<std::int64_t>(response.body_text().size()));
        head.append("\r\n");
    }
    head.append(response.extra_headers);
    if (close) {
        head.append("Connection: close\r\n");
    }
    head.append("\r\n");
}

/// True for the errors that just mean the peer went away or a timeout closed the socket.
bool is_disconnect(const beast::error_code& ec)
{
    return ec == beast::http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::operation_aborted ||
           ec == asio::error::connection_reset || ec == asio::error::bad_descriptor || ec == asio::error::broken_pipe ||
           ec == asio::ssl::error::stream_truncated || ec == beast::http::error::partial_message;
}

/// Writes as much of `buffers` as the socket takes at once, without waiting: most answers fit in the socket's send
/// buffer, and sending them here saves a round through the scheduler. Returns the bytes written; on a TLS stream,
/// whose engine keeps its own state, nothing is written here.
std::size_t send_now(tcp::socket& socket, const std::array<asio::const_buffer, 2>& buffers, beast::error_code& ec)
{
    if (!socket.non_blocking()) {
        return 0; // a blocking write here would hold the whole I/O thread
    }
    const std::size_t n = socket.write_some(buffers, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
        ec = {};
    }
    return n;
}

std::size_t send_now(TlsStream& stream, const std::array<asio::const_buffer, 2>& buffers, beast::error_code& ec)
{
    return stream.write_now(buffers, ec);
}

/// The part of `buffers` after its first `sent` bytes.
std::array<asio::const_buffer, 2> unsent(const std::array<asio::const_buffer, 2>& buffers, std::size_t sent)
{
    if (sent < buffers[0].size()) {
        return {buffers[0] + sent, buffers[1]};
    }
    return {buffers[1] + (sent - buffers[0].size()), asio::const_buffer()};
}

/// Runs `work` on the pool and resumes the calling coroutine on its own executor afterwards.
template <class Work> asio::awaitable<void> run_blocking(asio::thread_pool& pool, Work& work)
{
    co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
        [&pool, &work](auto handler) {
            asio::post(pool, [&work, handler = std::move(handler)]() mutable {
                util::name_this_thread_once("http-blocking");
                work();
                auto executor = asio::get_associated_executor(handler);
                asio::post(executor, std::move(handler));
            });
        },
        asio::use_awaitable);
}

tcp::socket& lowest(tcp::socket& s)
{
    return s;
}

tcp::socket& lowest(TlsStream& s)
{
    return s.next_layer();
}

} // namespace

struct Server::Worker {
    asio::io_context ctx{1};
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard{ctx.get_executor()};
    asio::steady_timer sweeper{ctx};
    std::list<ConnectionState> connections;
    bool draining = false;
    bool round_open = false;
    std::thread thread;
    /// TLS handshakes on this thread's connections, completed and failed (read by stats() from other threads).
    std::atomic<std::uint64_t> handshakes{0};
    std::atomic<std::uint64_t> failed_handshakes{0};
    /// When the sweeper last ran (read by responsive() from other threads).
    std::atomic<Clock::rep> last_sweep{Clock::now().time_since_epoch().count()};
};

namespace {

/// Everything a connection coroutine needs from the server.
struct ConnectionContext {
    Application& app;
    const Limits& limits;
    asio::thread_pool& pool;
    Server::Worker& worker;
    std::atomic<std::size_t>& connections;
};

/// Opens a round unless one is open: it ends with a handler posted now, which runs after every handler the event
/// loop has ready at this moment and before it waits for more.
void open_round(ConnectionContext& cx)
{
    if (cx.worker.round_open) {
        return;
    }
    cx.worker.round_open = true;
    cx.app.begin_round();
    asio::post(cx.worker.ctx, [&worker = cx.worker, &app = cx.app] {
        worker.round_open = false;
        app.end_round();
    });
}

/// Reads and discards what the client still sends for a moment after we stopped reading, so that closing the
/// socket does not reset the connection before the client has read our final answer.
asio::awaitable<void> linger(tcp::socket& socket, ConnectionState& state)
{
    beast::error_code ec;
    socket.shutdown(tcp::socket::shutdown_send, ec);
    state.deadline = Clock::now() + std::chrono::seconds(2);
    std::array<char, 4096> sink{};
    std::size_t discarded = 0;
    while (discarded < std::size_t{4} * 1024 * 1024) {
        auto [read_ec, n] = co_await socket.async_read_some(asio::buffer(sink), kUseTuple);
        if (read_ec) {
            break;
        }
        discarded += n;
    }
}

/// Wakes a waiting stream from any thread: sets a flag and cancels the wait timer on the connection's own thread.
struct StreamWaker {
    asio::steady_timer timer;
    std::atomic<bool> woken{false};

    explicit StreamWaker(const asio::any_io_executor& executor)
        : timer(executor)
    {
    }
};

/// Sends a body from a BodySource: produce on the blocking pool when it may block, write each piece, wait for
/// news when it has none. Returns false when the connection cannot go on.
template <class Stream>
asio::awaitable<bool> send_stream(Stream& stream, ConnectionState& state, ConnectionContext& cx, const Request& request,
                                  Response& response, std::string& head, bool close)
{
    auto source = response.stream;
    auto waker = std::make_shared<StreamWaker>(co_await asio::this_coro::executor);
    source->set_waker([weak = std::weak_ptr<StreamWaker>(waker)] {
        if (auto w = weak.lock()) {
            w->woken = true;
            asio::post(w->timer.get_executor(), [w] { w->timer.cancel(); });
        }
    });
    state.interrupt = [waker, source] {
        source->stop();
        waker->woken = true;
        waker->timer.cancel();
    };
    const bool head_only = request.method == beast::http::verb::head;
    std::string piece;
    BodySource::Step step = BodySource::Step::More;
    auto produce = [&]() -> asio::awaitable<void> {
        piece.clear();
        waker->woken = false;
        state.in_handler = true;
        if (source->blocking()) {
            auto work = [&] { step = source->produce(piece); };
            co_await run_blocking(cx.pool, work);
        } else {
            step = source->produce(piece);
        }
        state.in_handler = false;
    };
    // On shutdown a source is told to stop and asked again at once (a stream or a long poll then ends); one that
    // still has to wait (a login being checked) is woken by its own news, within the shutdown grace.
    bool told_to_stop = false;
    auto wait = [&]() -> asio::awaitable<void> {
        if (waker->woken) {
            co_return;
        }
        if (cx.worker.draining && !told_to_stop) {
            told_to_stop = true;
            source->stop();
            co_return;
        }
        state.in_handler = true;
        waker->timer.expires_after(source->wait_limit());
        // Woken by cancellation (the source has more) or by the limit: the source is asked again either way.
        (void)co_await waker->timer.async_wait(kUseTuple);
        state.in_handler = false;
    };
    auto write = [&](const std::array<asio::const_buffer, 3>& buffers) -> asio::awaitable<bool> {
        state.deadline = Clock::now() + cx.limits.write_timeout;
        auto [ec, n] = co_await asio::async_write(stream, buffers, kUseTuple);
        co_return !ec;
    };
    bool ok = true;
    if (!response.stream_now) {
        // A long poll: gather the whole answer, then send it like any other.
        for (;;) {
            co_await produce();
            response.body += piece;
            if (step == BodySource::Step::Done) {
                break;
            }
            if (step == BodySource::Step::Wait) {
                co_await wait();
            }
        }
        source->complete(response);
        close = close || response.close || cx.worker.draining;
        append_head(head, response, close);
        ok = co_await write({asio::buffer(head), head_only ? asio::const_buffer() : asio::buffer(response.body_text()),
                             asio::const_buffer()});
        ok = ok && !close;
    } else if (head_only) {
        // The head the stream would start with, and nothing of the stream itself.
        source->stop();
        const bool chunked = request.version >= 11;
        append_head(head, response, close || !chunked, chunked ? Framing::Chunked : Framing::UntilClose);
        ok = co_await write({asio::buffer(head), asio::const_buffer(), asio::const_buffer()});
        ok = ok && chunked;
    } else {
        // HTTP/1.0 has no chunks: the body ends when the connection closes.
        const bool chunked = request.version >= 11;
        append_head(head, response, close || !chunked, chunked ? Framing::Chunked : Framing::UntilClose);
        ok = co_await write({asio::buffer(head), asio::const_buffer(), asio::const_buffer()});
        while (ok) {
            co_await produce();
            if (!piece.empty()) {
                char size_line[24];
                const int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", piece.size());
                if (chunked) {
                    ok = co_await write({asio::buffer(size_line, static_cast<std::size_t>(n)), asio::buffer(piece),
                                         asio::buffer("\r\n", 2)});
                } else {
                    ok = co_await write({asio::buffer(piece), asio::const_buffer(), asio::const_buffer()});
                }
            }
            if (!ok || step == BodySource::Step::Done) {
                break;
            }
            if (step == BodySource::Step::Wait) {
                co_await wait();
            }
        }
        if (ok && chunked) {
            ok = co_await write({asio::buffer("0\r\n\r\n", 5), asio::const_buffer(), asio::const_buffer()});
        }
        ok = ok && chunked;
    }
    state.interrupt = nullptr;
    waker->timer.cancel();
    co_return ok;
}

/// Reads until Beast's parser has the whole header. The limit covers request line and fields together, exactly:
/// Beast's own header limit is counted per parse step and lets a little more through, so it is set out of the way.
/// When the first bytes of a request arrive on an idle connection, the request's deadline starts: the whole request
/// must be in within the request timeout of its first byte, however slowly it trickles in.
template <class Stream>
asio::awaitable<beast::error_code> read_header(Stream& stream, beast::flat_buffer& buffer, RequestParser& parser,
                                               std::size_t limit, ConnectionState& state,
                                               std::chrono::seconds request_timeout)
{
    parser.header_limit(std::numeric_limits<std::uint32_t>::max());
    std::size_t consumed = 0;
    // A plain socket's first bytes after idling go here (TLS waits in its stream instead).
    std::array<char, std::is_same_v<Stream, TlsStream> ? 1 : 512> first_bytes; // NOLINT: read into before use
    for (;;) {
        if (buffer.size() > 0) {
            beast::error_code ec;
            const auto used = parser.put(buffer.data(), ec);
            buffer.consume(used);
            consumed += used;
            if (ec != beast::http::error::need_more) {
                // A header that ended in the bytes of one read may still have ended past the limit.
                co_return !ec && consumed > limit ? beast::http::error::header_limit : ec;
            }
            // Still no end of header: everything read so far belongs to it.
            if (consumed + buffer.size() >= limit) {
                co_return beast::http::error::header_limit;
            }
        }
        // An idle connection holds no read buffer: the next request's first bytes are awaited without one, as nginx
        // does (ten thousand idle connections keep 16 KiB each less), then read at once into a new one.
        const bool idle = buffer.size() == 0 && state.waiting_for_request;
        if (idle) {
            buffer.shrink_to_fit();
        }
        std::size_t n = 0;
        beast::error_code ec;
        if (!idle) {
            std::tie(ec, n) = co_await stream.async_read_some(buffer.prepare(kReadBytes), kUseTuple);
        } else if constexpr (std::is_same_v<Stream, TlsStream>) {
            // TLS waits in the stream, holding only its few bytes for OpenSSL, then reads what it can at once.
            std::tie(ec, n) = co_await stream.async_fill(kUseTuple);
            if (!ec) {
                n = stream.read_now(buffer.prepare(kReadBytes), ec);
                if (ec == asio::error::would_block) { // not a whole record yet
                    std::tie(ec, n) = co_await stream.async_read_some(buffer.prepare(kReadBytes), kUseTuple);
                }
            }
        } else {
            // A plain socket's first bytes go into a few on the stack, then into a new buffer.
            std::tie(ec, n) = co_await stream.async_read_some(asio::buffer(first_bytes), kUseTuple);
            if (n > 0) {
                asio::buffer_copy(buffer.prepare(kReadBytes), asio::buffer(first_bytes, n));
            }
        }
        buffer.commit(n);
        if (n > 0 && state.waiting_for_request) {
            state.waiting_for_request = false;
            state.deadline = Clock::now() + request_timeout;
        }
        if (ec) {
            if (ec == asio::error::eof && consumed + buffer.size() == 0) {
                co_return beast::http::error::end_of_stream;
            }
            co_return ec;
        }
    }
}

template <class Stream>
asio::awaitable<void> serve_requests(Stream& stream, ConnectionState& state, ConnectionContext& cx, bool secure,
                                     const asio::ip::address& peer)
{
    beast::flat_buffer buffer;
    std::string arena;
    std::string body;
    std::string head;
    Request request;
    Response response;
    bool linger_on_close = false;
    state.buffers = {&arena, &body, &head, &response.body};
    // The buffers end with this coroutine; the connection's state may outlive it (a TLS shutdown, a linger).
    struct ForgetBuffers {
        ConnectionState& state;
        ~ForgetBuffers()
        {
            state.buffers = {};
            state.waiting_for_request = false;
        }
    } forget_buffers{state};
    for (;;) {
        state.waiting_for_request = buffer.size() == 0;
        if (cx.worker.draining && state.waiting_for_request) {
            // Shutting down: stop unless the next request has already arrived.
            beast::error_code available_ec;
            if (lowest(stream).available(available_ec) == 0) {
                break;
            }
        }
        state.deadline =
            Clock::now() + (state.waiting_for_request ? cx.limits.idle_timeout : cx.limits.request_timeout);
        if (state.waiting_for_request) {
            // Between requests a connection keeps small buffers only: a big page or body once is not held for
            // the rest of a long-lived connection (the read buffer goes too while it waits: see read_header; and
            // the small ones after a second of waiting: see sweep).
            state.release_buffers(kLargestKeptBuffer);
        }
        RequestParser parser(arena, body);
        parser.body_limit(cx.limits.body_bytes);
        auto ec =
            co_await read_header(stream, buffer, parser, cx.limits.header_bytes, state, cx.limits.request_timeout);
        state.waiting_for_request = false;
        if (!ec && !parser.is_done()) {
            // The body keeps the deadline the request's first byte set.
            if (parser.expects_continue()) {
                static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
                auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(kContinue), kUseTuple);
                ec = wec;
            }
            if (!ec) {
                auto [rec, rn] = co_await beast::http::async_read(stream, buffer, parser, kUseTuple);
                ec = rec;
            }
        }
        response.reset();
        const auto started = Clock::now();
        if (ec) {
            if (is_disconnect(ec) || !parser.got_some()) {
                break; // the peer left, or a timeout closed the socket
            }
            parser.fill_request_line(request);
            request.secure = secure;
            request.peer = peer;
            request.received_at = started;
            if (ec == beast::http::error::header_limit) {
                cx.app.refuse(431, "The request header fields are larger than the server accepts.", request, response);
            } else if (ec == beast::http::error::body_limit) {
                cx.app.refuse(413, "The request body is larger than the server accepts.", request, response);
            } else if (parser.framing_error() == FramingError::UnsupportedCoding) {
                cx.app.refuse(501,
                              "The request's Transfer-Encoding has a coding the server does not implement; only "
                              "chunked is.",
                              request, response);
            } else if (parser.framing_error() == FramingError::BadTransferEncoding) {
                cx.app.refuse(400, "The request's Transfer-Encoding must be chunked, once (and HTTP/1.1).", request,
                              response);
            } else if (parser.framing_error() == FramingError::BadAbsoluteTarget) {
                cx.app.refuse(400,
                              "An absolute request target must be an http or https URI with a host and no user "
                              "information.",
                              request, response);
            } else {
                cx.app.refuse(400, "The request is not valid HTTP/1.1.", request, response);
            }
            // Where the next request would start is unknown after any of these: the connection ends here.
            linger_on_close = true;
            response.close = true;
        } else {
            parser.fill(request);
            request.secure = secure;
            request.peer = peer;
            request.received_at = started;
            request.io = &cx.worker.ctx;
            state.in_handler = true;
            if (cx.app.needs_blocking_pool(request)) {
                auto work = [&] { cx.app.handle(request, response); };
                co_await run_blocking(cx.pool, work);
            } else {
                open_round(cx);
                cx.app.handle(request, response);
            }
            state.in_handler = false;
        }
        const bool close = response.close || !request.keep_alive || cx.worker.draining;
        if (response.stream) {
            const bool ok = co_await send_stream(stream, state, cx, request, response, head, close);
            cx.app.answered(request, response, Clock::now() - started);
            response.stream.reset();
            if (!ok || close || cx.worker.draining) {
                break;
            }
            continue;
        }
        append_head(head, response, close);
        state.deadline = Clock::now() + cx.limits.write_timeout;
        // A HEAD request gets the head alone, its Content-Length that of the body a GET would get.
        const bool head_only = request.method == beast::http::verb::head;
        const std::array<asio::const_buffer, 2> out{asio::buffer(head), head_only ? asio::const_buffer()
                                                                                  : asio::buffer(response.body_text())};
        beast::error_code wec;
        const std::size_t sent = send_now(stream, out, wec);
        if (!wec && sent < asio::buffer_size(out)) {
            auto [rest_ec, rest_n] = co_await asio::async_write(stream, unsent(out, sent), kUseTuple);
            wec = rest_ec;
        }
        cx.app.answered(request, response, Clock::now() - started);
        if (wec || close) {
            break;
        }
    }
    if (linger_on_close) {
        co_await linger(lowest(stream), state);
    }
}

asio::awaitable<void> serve_connection(tcp::socket socket, ConnectionContext cx,
                                       std::shared_ptr<asio::ssl::context> tls)
{
    auto& worker = cx.worker;
    worker.connections.emplace_front();
    auto state_it = worker.connections.begin();
    ConnectionState& state = *state_it;
    beast::error_code ec;
    const auto peer = socket.remote_endpoint(ec).address();
    socket.set_option(tcp::no_delay(true), ec);
    try {
        if (tls) {
            TlsStream stream(std::move(socket), *tls);
            state.socket = &stream.next_layer();
            state.deadline = Clock::now() + cx.limits.handshake_timeout;
            auto [hec, hn] = co_await stream.async_handshake(kUseTuple);
            (hec ? worker.failed_handshakes : worker.handshakes).fetch_add(1, std::memory_order_relaxed);
            if (!hec) {
                co_await serve_requests(stream, state, cx, true, peer);
                // Send close_notify; the peer's is not awaited: an idle client may never answer it.
                state.deadline = Clock::now() + std::chrono::seconds(1);
                auto [sec, sn] = co_await stream.async_shutdown(kUseTuple);
                (void)sec; // the connection is closed next either way
            }
            stream.next_layer().close(ec);
        } else {
            state.socket = &socket;
            // Writes that cannot finish at once return would_block instead of waiting (see send_now).
            socket.non_blocking(true, ec);
            co_await serve_requests(socket, state, cx, false, peer);
            socket.shutdown(tcp::socket::shutdown_both, ec);
            socket.close(ec);
        }
    } catch (...) {
        worker.connections.erase(state_it);
        cx.connections.fetch_sub(1);
        throw;
    }
    worker.connections.erase(state_it);
    cx.connections.fetch_sub(1);
    if (worker.draining && worker.connections.empty()) {
        worker.sweeper.cancel();
    }
}

/// Closes connections that passed their deadline, once a second; one timer per thread instead of one per request.
/// Gives the memory of connections that have closed back to the system: glibc keeps what is freed for the
/// next allocations, so the memory of ten thousand closed connections would stay with the process for ever.
/// Trims when the open connections fell by a thousand and by half since the most there were; checked once a
/// second by the first I/O thread.
class MemoryTrimmer {
public:
    void check(std::size_t open)
    {
        peak_ = std::max(peak_, open);
        if (peak_ - open >= 1024 && open <= peak_ / 2) {
            ::malloc_trim(0);
            peak_ = open;
        }
    }

private:
    std::size_t peak_ = 0;
};

/// `connections` (the server's open connections) is given to the first I/O thread's sweeper only.
asio::awaitable<void> sweep(Server::Worker& worker, Clock::duration idle_timeout, std::atomic<std::size_t>* connections)
{
    MemoryTrimmer trimmer;
    for (;;) {
        worker.sweeper.expires_after(std::chrono::seconds(1));
        // Cancellation only happens on shutdown, which the test below sees; the error itself tells nothing more.
        (void)co_await worker.sweeper.async_wait(kUseTuple);
        if (worker.draining && worker.connections.empty()) {
            co_return;
        }
        const auto now = Clock::now();
        worker.last_sweep.store(now.time_since_epoch().count(), std::memory_order_relaxed);
        for (auto& c : worker.connections) {
            if (!c.in_handler && c.deadline < now && c.socket != nullptr) {
                beast::error_code ignored;
                c.socket->close(ignored);
            } else if (c.waiting_for_request && c.deadline - idle_timeout + std::chrono::seconds(1) < now) {
                c.release_buffers(0);
            }
        }
        if (connections != nullptr) {
            trimmer.check(connections->load());
        }
    }
}

void report(const std::exception_ptr& e, std::string_view what)
{
    if (!e) {
        return;
    }
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        log::error(std::string(what) + ": " + ex.what());
    } catch (...) {
        log::error(std::string(what) + ": unknown exception");
    }
}

/// The answer to a connection past the limit.
constexpr std::string_view kTooManyConnections =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json; charset=utf-8\r\n"
    "Retry-After: 1\r\nConnection: close\r\nContent-Length: 137\r\n\r\n"
    R"({"type":"https://tools.ietf.org/html/rfc9110#section-15.6.4","title":"Service Unavailable","status":503,)"
    R"("detail":"Too many connections."})";

/// Connections being turned away at most at once; past it they are closed at once.
constexpr std::size_t kMaxRefusing = 1024;

/// Turns away a connection past the connection limit in an orderly way: plain HTTP gets a 503 it can read, TLS a
/// plain close (a handshake is work the server has no room for); then what the client still sends is read and
/// dropped for a moment, so that closing does not reset the connection before the client has read the answer.
asio::awaitable<void> refuse(tcp::socket socket, Server::Worker& worker, bool tls, std::atomic<std::size_t>& refusing)
{
    // The timeout sweeper closes the socket at the deadline, as for any connection.
    worker.connections.emplace_front();
    const auto state = worker.connections.begin();
    state->socket = &socket;
    state->deadline = Clock::now() + std::chrono::seconds(2);
    beast::error_code ec;
    if (!tls) {
        auto [write_ec, n] = co_await asio::async_write(socket, asio::buffer(kTooManyConnections), kUseTuple);
        ec = write_ec;
    }
    if (!ec) {
        socket.shutdown(tcp::socket::shutdown_send, ec);
    }
    std::array<char, 4096> sink{};
    for (std::size_t discarded = 0; !ec && discarded < sink.size() * 16;) {
        auto [read_ec, n] = co_await socket.async_read_some(asio::buffer(sink), kUseTuple);
        ec = read_ec;
        discarded += n;
    }
    socket.close(ec);
    worker.connections.erase(state);
    refusing.fetch_sub(1);
    if (worker.draining && worker.connections.empty()) {
        worker.sweeper.cancel();
    }
}

/// What the accept loop needs; passed by value so the coroutine owns it.
struct AcceptContext {
    Application& app;
    const Limits& limits;
    asio::thread_pool& pool;
    tcp::acceptor& acceptor;
    std::vector<std::unique_ptr<Server::Worker>>& workers;
    std::atomic<std::size_t>& connections;
    std::atomic<std::size_t>& refusing;
    std::atomic<bool>& stopping;
    std::shared_ptr<asio::ssl::context> tls;
};

/// Accepts connections and hands them to the workers in turn. accept4 makes each socket close-on-exec from its
/// first moment (Asio's own accept does not), so no command the server runs can inherit a client's connection.
asio::awaitable<void> accept_connections(AcceptContext ax)
{
    std::size_t next = 0;
    asio::steady_timer backoff(ax.workers.front()->ctx);
    const auto protocol = ax.acceptor.local_endpoint().protocol();
    const auto pause = [&]() -> asio::awaitable<void> {
        // Out of descriptors or similar: give in-flight connections a moment to end.
        backoff.expires_after(std::chrono::milliseconds(100));
        (void)co_await backoff.async_wait(kUseTuple); // cancelled only on shutdown, which the loop checks next
    };
    for (;;) {
        const int fd = ::accept4(ax.acceptor.native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (ax.stopping.load()) {
            if (fd >= 0) {
                ::close(fd);
            }
            co_return;
        }
        if (fd < 0) {
            const int error = errno;
            if (error == EAGAIN || error == EWOULDBLOCK) {
                auto [ec] = co_await ax.acceptor.async_wait(tcp::acceptor::wait_read, kUseTuple);
                if (ax.stopping.load() || ec == asio::error::operation_aborted) {
                    co_return;
                }
                if (ec) {
                    log::warning("waiting for connections failed: " + ec.message());
                    co_await pause();
                }
            } else if (error != EINTR && error != ECONNABORTED) {
                log::warning(std::string("accept failed: ") + std::strerror(error));
                co_await pause();
            }
            continue;
        }
        Server::Worker& worker = *ax.workers[next++ % ax.workers.size()];
        tcp::socket socket(worker.ctx);
        beast::error_code ec;
        socket.assign(protocol, fd, ec);
        if (ec) {
            ::close(fd);
            log::warning("cannot take a connection: " + ec.message());
            continue;
        }
        if (ax.connections.load() >= ax.limits.max_connections) {
            if (ax.refusing.fetch_add(1) >= kMaxRefusing) {
                ax.refusing.fetch_sub(1);
                socket.close(ec);
                continue;
            }
            asio::co_spawn(worker.ctx, refuse(std::move(socket), worker, ax.tls != nullptr, ax.refusing),
                           [](const std::exception_ptr& e) { report(e, "refusal"); });
            continue;
        }
        ax.connections.fetch_add(1);
        ConnectionContext cx{ax.app, ax.limits, ax.pool, worker, ax.connections};
        asio::co_spawn(worker.ctx, serve_connection(std::move(socket), cx, ax.tls),
                       [](const std::exception_ptr& e) { report(e, "connection"); });
    }
}

} // namespace

Listener::Listener(int fd, tcp::endpoint endpoint) noexcept
    : fd_(fd)
    , endpoint_(std::move(endpoint))
{
}

Listener::Listener(Listener&& other) noexcept
    : fd_(std::exchange(other.fd_, -1))
    , endpoint_(std::move(other.endpoint_))
{
}

Listener& Listener::operator=(Listener&& other) noexcept
{
    if (this != &other) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = std::exchange(other.fd_, -1);
        endpoint_ = other.endpoint_;
    }
    return *this;
}

Listener::~Listener()
{
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

int Listener::release() noexcept
{
    return std::exchange(fd_, -1);
}

boost::system::result<Listener> Listener::bind(const tcp::endpoint& endpoint)
{
    asio::io_context ctx;
    tcp::acceptor acceptor(ctx);
    beast::error_code ec;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec && ::fcntl(acceptor.native_handle(), F_SETFD, FD_CLOEXEC) != 0) {
        ec.assign(errno, boost::system::system_category());
    }
    if (!ec) {
        acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
        acceptor.bind(endpoint, ec);
    }
    if (!ec) {
        acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        return ec;
    }
    auto bound = acceptor.local_endpoint(ec);
    if (ec) {
        return ec;
    }
    return Listener(acceptor.release(), bound);
}

Server::Server(Application& app, Limits limits, std::size_t io_threads, std::size_t blocking_threads,
               std::shared_ptr<asio::ssl::context> tls)
    : app_(app)
    , limits_(limits)
    , tls_(std::move(tls))
    , blocking_pool_(blocking_threads == 0 ? 1 : blocking_threads)
{
    for (std::size_t i = 0; i < std::max<std::size_t>(io_threads, 1); ++i) {
        workers_.push_back(std::make_unique<Worker>());
    }
}

Server::~Server()
{
    shutdown();
}

void Server::listen(Listener listener)
{
    const auto protocol = listener.endpoint().protocol();
    acceptor_ = std::make_unique<tcp::acceptor>(workers_.front()->ctx, protocol, listener.release());
    acceptor_->non_blocking(true);
}

void Server::start()
{
    started_ = true;
    for (auto& w : workers_) {
        asio::co_spawn(w->ctx, sweep(*w, limits_.idle_timeout, w == workers_.front() ? &connections_ : nullptr),
                       [](const std::exception_ptr& e) { report(e, "timeout sweeper"); });
    }
    AcceptContext accept{app_, limits_, blocking_pool_, *acceptor_, workers_, connections_, refusing_, stopping_, tls_};
    asio::co_spawn(workers_.front()->ctx, accept_connections(accept),
                   [](const std::exception_ptr& e) { report(e, "accept loop"); });
    for (auto& w : workers_) {
        w->thread = std::thread([&ctx = w->ctx] {
            util::name_this_thread("http-io");
            ctx.run();
        });
    }
}

void Server::shutdown()
{
    if (stopping_.exchange(true)) {
        return;
    }
    if (!started_) {
        blocking_pool_.join();
        return;
    }
    asio::post(workers_.front()->ctx, [this] {
        beast::error_code ignored;
        acceptor_->close(ignored);
    });
    std::mutex mutex;
    std::condition_variable all_drained;
    std::size_t drained = 0;
    for (auto& w : workers_) {
        asio::post(w->ctx, [worker = w.get()] {
            worker->draining = true;
            for (auto& c : worker->connections) {
                if (c.interrupt) {
                    c.interrupt(); // a stream waiting for news ends now
                }
                // Idle connections end now; one whose next request has already arrived gets it answered. Its read
                // is cancelled, not its socket closed: a read that has already taken the request in, its
                // completion still queued behind this, goes on and the request is answered.
                beast::error_code ec;
                if (c.waiting_for_request && c.socket != nullptr && c.socket->available(ec) == 0) {
                    c.socket->cancel(ec);
                }
            }
            worker->guard.reset();
            if (worker->connections.empty()) {
                worker->sweeper.cancel();
            }
        });
    }
    // Wait for the threads to run out of work; past the grace period, stop them hard.
    std::vector<std::thread> waiters;
    for (auto& w : workers_) {
        waiters.emplace_back([worker = w.get(), &mutex, &all_drained, &drained] {
            worker->thread.join();
            std::lock_guard lock(mutex);
            ++drained;
            all_drained.notify_all();
        });
    }
    {
        std::unique_lock lock(mutex);
        if (!all_drained.wait_for(lock, limits_.shutdown_grace, [&] { return drained == workers_.size(); })) {
            log::warning("requests still running after the shutdown grace period; stopping them");
            for (auto& w : workers_) {
                w->ctx.stop();
            }
        }
    }
    for (auto& t : waiters) {
        t.join();
    }
    blocking_pool_.join();
}

Server::Stats Server::stats() const noexcept
{
    Stats stats;
    stats.open_connections = connections_.load(std::memory_order_relaxed);
    for (const auto& worker : workers_) {
        stats.tls_handshakes += worker->handshakes.load(std::memory_order_relaxed);
        stats.failed_tls_handshakes += worker->failed_handshakes.load(std::memory_order_relaxed);
    }
    return stats;
}

bool Server::responsive(std::chrono::steady_clock::duration within) const noexcept
{
    const auto since = (Clock::now() - within).time_since_epoch().count();
    return std::all_of(workers_.begin(), workers_.end(), [since](const auto& worker) {
        return worker->last_sweep.load(std::memory_order_relaxed) >= since;
    });
}

} // namespace jobsessions::http

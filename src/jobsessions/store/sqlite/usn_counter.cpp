// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/store/sqlite/usn_counter.hpp"

namespace jobsessions::store::sqlite {
namespace {

constexpr const char* kSelectUsn = "SELECT value FROM counters WHERE name = 'usn'";
constexpr const char* kUpdateUsn = "UPDATE counters SET value = ?1 WHERE name = 'usn'";

} // namespace

void UsnCounter::begin_batch() noexcept
{
    last_.reset();
    changed_ = false;
}

Result<std::int64_t> UsnCounter::next(Connection& db)
{
    if (!last_) {
        auto last = select_number(db, kSelectUsn, "the usn counter");
        if (!last) {
            return last.error();
        }
        last_ = *last;
    }
    changed_ = true;
    return ++*last_;
}

Result<void> UsnCounter::write_back(Connection& db)
{
    if (!changed_) {
        return {};
    }
    auto stmt = db.prepare(kUpdateUsn);
    if (!stmt) {
        return stmt.error();
    }
    stmt->bind(1, *last_);
    if (auto r = stmt->run(); !r) {
        return r.error();
    }
    changed_ = false;
    return {};
}

} // namespace jobsessions::store::sqlite

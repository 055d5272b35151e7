// RAII for the two SQLite handles the registry uses, plus small helpers that turn SQLite
// result codes into one-line errors.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <string_view>

namespace laneway::registry::sqlite {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;

struct StatementFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

// A prepared statement reused across calls: `use()` resets it and clears its bindings so
// every call starts clean, and the reset on scope exit releases the read snapshot.
class Statement {
 public:
  Statement() = default;
  explicit Statement(StatementPtr stmt) : stmt_(std::move(stmt)) {}

  class Use {
   public:
    explicit Use(sqlite3_stmt* stmt) : stmt_(stmt) {}
    ~Use() { sqlite3_reset(stmt_); }
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;
    sqlite3_stmt* get() const { return stmt_; }

   private:
    sqlite3_stmt* stmt_;
  };

  Use use() {
    sqlite3_reset(stmt_.get());
    sqlite3_clear_bindings(stmt_.get());
    return Use(stmt_.get());
  }
  bool valid() const { return stmt_ != nullptr; }

 private:
  StatementPtr stmt_;
};

// Prepares `sql` (persistent: kept for the life of the connection). On failure returns an
// invalid Statement and fills `error`.
Statement prepare(sqlite3* db, std::string_view sql, std::string* error);

// Runs one or more statements that return no rows.
bool exec(sqlite3* db, const char* sql, std::string* error);

// Binds text without copying: the view must outlive the statement's use.
int bind_text(sqlite3_stmt* stmt, int index, std::string_view text);

// Column as std::string (empty for NULL).
std::string column_text(sqlite3_stmt* stmt, int column);

// "<what>: <sqlite message>" for the connection's last error.
std::string describe(sqlite3* db, std::string_view what);

}  // namespace laneway::registry::sqlite

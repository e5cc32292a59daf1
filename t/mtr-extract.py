#!/usr/bin/env python3
"""t/mtr-extract.py -- schemas and data from MariaDB's mysqldump*.test files.

usage: mtr-extract.py OUTDIR TESTFILE...

Reads mysqltest scripts (Debian's mariadb-test-data ships them under
/usr/share/mysql/mysql-test/main/) and writes, for the stock `mariadb`
client, the SQL they run outside mysqltest's own commands, cut into cases:
a case ends where the script runs mysqldump (`exec $MYSQL_DUMP ...`), so
it holds the state the original test dumped at that point.  Cases are
cumulative within a file: replay them in order on one server, and start
each file from a server without user databases.

OUTDIR gets, per case that changed anything, NNNN.sql (the statements,
with DELIMITER lines where the script changed its delimiter) and
NNNN.case (one line: FILE:LINE of the dump point), and skipped.txt, one
line per statement or dump point left out: FILE:LINE<TAB>reason.

Left out, each with its reason: mysqltest commands and whatever needs
them (variables, loops, files written by the script), statements meant
to fail (`--error`), and what needs other servers, plugins, accounts,
system tables, the binary log or files on the server.
"""
import os
import re
import sys

# mysqltest's own commands (first word of a statement or `--` line)
MTR = {
    "append_file", "cat_file", "change_user", "character_set", "chmod",
    "connect", "connection", "copy_file", "copy_files_wildcard", "dec",
    "delimiter", "die", "diff_files", "dirty_close", "disable_abort_on_error",
    "disable_connect_log", "disable_info", "disable_metadata",
    "disable_ps_protocol", "disable_query_log", "disable_reconnect",
    "disable_result_log", "disable_warnings", "disable_view_protocol",
    "disable_service_connection", "disable_cursor_protocol",
    "disable_parsing", "disable_prepare_warnings", "disable_session_track_info",
    "disconnect", "echo", "enable_abort_on_error", "enable_connect_log",
    "enable_info", "enable_metadata", "enable_ps_protocol",
    "enable_query_log", "enable_reconnect", "enable_result_log",
    "enable_warnings", "enable_view_protocol", "enable_service_connection",
    "enable_cursor_protocol", "enable_parsing", "enable_prepare_warnings",
    "enable_session_track_info", "end", "end_timer", "error", "eval",
    "exec", "exec_in_background", "execw", "exit", "file_exists",
    "force-cpdir", "force-rmdir", "horizontal_results", "if", "inc", "let",
    "list_files", "list_files_append_file", "list_files_write_file",
    "lowercase_result", "mkdir", "move_file", "output", "perl", "ping",
    "query", "query_attributes", "query_get_value", "query_horizontal",
    "query_vertical", "real_sleep", "reap", "remove_file",
    "remove_files_wildcard", "replace_column", "replace_numeric_round",
    "replace_regex", "replace_result", "require", "reset_connection",
    "result_format", "rmdir", "save_master_pos", "send", "send_eval",
    "send_quit", "send_shutdown", "shutdown_server", "skip", "sleep",
    "sorted_result", "source", "start_timer", "sync_slave_with_master",
    "sync_with_master", "system", "vertical_results", "wait_for_slave_to_stop",
    "while", "write_file", "write_line", "}", "{",
}
# statements whose effect a dump shows
KEEP = {"create", "insert", "alter", "drop", "use", "set", "update",
        "delete", "replace", "truncate", "rename", "begin", "commit",
        "start", "rollback"}
# (pattern, reason): statements left out although their first word is kept
NEED = [
    (r"\bmysql\s*\.\s*`?\w", "writes the mysql system schema (cairn dumps "
     "no system database)"),
    (r"\b(database|schema)\s+(if\s+(not\s+)?exists\s+)?`?(mysql|sys)\b|"
     r"^\s*use\s+`?(mysql|sys)\b", "creates, drops or uses a system schema "
     "(cairn dumps no system database)"),
    (r"\b(user|role)\b", "creates or changes accounts (dump_grants is "
     "separate)"),
    (r"\bset\s+(@@)?global\b|@@global\.", "changes a global server variable"),
    (r"\b(master|slave|binlog|gtid|replica)\b", "needs replication or the "
     "binary log"),
    (r"\b(outfile|dumpfile|load_file|infile|data directory|index directory)\b",
     "reads or writes files on the server"),
    (r"\bengine\s*=?\s*(federated|connect|archive|spider|rocksdb|"
     "tokudb|ndb\\w*)\b|\bconnection\s*=", "needs an engine or server this "
     "harness has not"),
    (r"\bplugin\b|\bsoname\b|\bfunction\s+\S+\s+returns\s+\w+\s+soname\b",
     "needs a plugin or UDF library"),
    (r"\b(performance_schema|information_schema)\b", "changes a system "
     "schema"),
    (r"\bserver\b\s+\w", "needs a remote server definition"),
    (r"\bset\s+(session\s+)?(debug|debug_dbug|sql_log_bin|"
     "innodb_\\w+|default_storage_engine)\b",
     "sets a debug or server-internal variable"),
]


class Extract:
    def __init__(self, outdir):
        self.outdir = outdir
        self.n = 0
        self.skipped = open(os.path.join(outdir, "skipped.txt"), "w")
        self.cases = 0

    def skip(self, where, why):
        self.skipped.write("%s\t%s\n" % (where, why))

    def flush(self, where, chunk):
        """a dump point: write the statements since the last one"""
        if not any(kind != "use" for kind, _, _ in chunk):
            self.skip(where, "dump point without a change since the last "
                      "one (the same state)")
            return
        self.n += 1
        base = os.path.join(self.outdir, "%04d" % self.n)
        delim = ";"
        with open(base + ".sql", "w", encoding="utf-8",
                  errors="surrogateescape") as f:
            for _, d, stmt in chunk:
                if d != delim:
                    f.write("DELIMITER %s\n" % d)
                    delim = d
                f.write(stmt + d + "\n")
            if delim != ";":
                f.write("DELIMITER ;\n")
        with open(base + ".case", "w") as f:
            f.write(where + "\n")


def skip_heredoc(text, i, body):
    """after write_file/append_file/perl: the text up to its end marker
    line (EOF unless named) is data, not statements; returns where the
    script goes on and how many lines were passed"""
    parts = body.split()
    word = parts[0].lower().lstrip("-")
    if word not in ("write_file", "append_file", "perl"):
        return i, 0
    end = "EOF"
    if word == "perl" and len(parts) > 1:
        end = parts[1]
    elif word != "perl" and len(parts) > 2:
        end = parts[2]
    m = re.compile(r"^\s*" + re.escape(end) + r"\s*$", re.M).search(text, i)
    e = len(text) if m is None else m.end()
    return e, text.count("\n", i, e)


def statements(text, name):
    """yield (line, kind, text, delimiter): kind 'cmd' for a `--` line,
    'stmt' for a statement ended by the delimiter"""
    delim = ";"
    i, n, line = 0, len(text), 1
    while i < n:
        # blank space and comments between statements
        c = text[i]
        if c in " \t\r\n":
            line += c == "\n"
            i += 1
            continue
        if c == "#" or text.startswith("--", i):
            e = text.find("\n", i)
            e = n if e == -1 else e
            body = text[i:e]
            if c == "-":
                cmd = body[2:].strip()
                if cmd.lower().startswith("delimiter"):
                    delim = cmd.split(None, 1)[1].strip() if \
                        len(cmd.split()) > 1 else ";"
                yield line, "cmd", cmd, delim
                i, k = skip_heredoc(text, e, cmd)
                line += k
                continue
            i = e
            continue
        # a statement: up to the delimiter outside quotes
        start, sline, q = i, line, None
        while i < n:
            c = text[i]
            if q:
                if c == "\\" and q != "`":
                    if i + 1 < n and text[i + 1] == "\n":
                        line += 1
                    i += 2
                    continue
                if c == q:
                    q = None
            elif c in "'\"`":
                q = c
            elif text.startswith(delim, i):
                break
            line += c == "\n"
            i += 1
        stmt = text[start:i]
        i += len(delim)
        first = stmt.split(None, 1)[0].lower() if stmt.split() else ""
        if first == "delimiter":
            parts = stmt.split()
            delim = parts[1] if len(parts) > 1 else ";"
            yield sline, "delim", stmt, delim
            continue
        yield sline, "stmt", stmt, delim
        i, k = skip_heredoc(text, i, stmt.strip() or "x")
        line += k


def extract_file(ex, path):
    name = os.path.basename(path)
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        text = f.read()
    chunk = []
    skip_next = None
    depth = 0           # inside an if/while block of mysqltest
    block_line = 0
    for line, kind, body, delim in statements(text, name):
        where = "%s:%d" % (name, line)
        word = body.split(None, 1)[0].lower() if body.split() else ""
        if kind == "cmd":
            if word in ("error", "replace_result", "replace_regex"):
                if word == "error":
                    skip_next = "meant to fail (--error)"
            elif word in ("exec", "execw") and "$MYSQL_DUMP" in body:
                if depth:
                    ex.skip(where, "dump point inside a mysqltest loop or "
                            "condition")
                elif skip_next:
                    ex.skip(where, "a dump meant to fail")
                else:
                    ex.flush(where, chunk)
                    chunk = []
                skip_next = None
            elif word not in ("echo", "disable_warnings", "enable_warnings",
                              "disable_query_log", "enable_query_log",
                              "disable_result_log", "enable_result_log",
                              "sorted_result", "replace_column"):
                skip_next = None    # the error was this command's
            continue
        if kind == "delim":
            continue
        stripped = body.strip()
        if word.startswith("--"):
            continue
        if word in ("if", "while") or stripped.startswith(("if(", "while(")):
            if depth == 0:
                block_line = line
            depth += stripped.count("{") - stripped.count("}") or 1
            continue
        if depth:
            depth += stripped.count("{") - stripped.count("}")
            if stripped.startswith("}") and depth <= 0:
                depth = 0
                ex.skip("%s:%d" % (name, block_line), "a mysqltest loop or "
                        "condition (needs mysqltest)")
            continue
        if word in MTR:
            if word == "error":
                skip_next = "meant to fail (error)"
                continue
            if word in ("exec", "execw") and "$MYSQL_DUMP" in body:
                if skip_next:
                    ex.skip(where, "a dump meant to fail")
                else:
                    ex.flush(where, chunk)
                    chunk = []
            if word not in ("echo", "disable_warnings", "enable_warnings",
                            "disable_query_log", "enable_query_log",
                            "disable_result_log", "enable_result_log",
                            "sorted_result", "replace_column",
                            "replace_result", "replace_regex"):
                skip_next = None    # the error was this command's
            continue
        if skip_next:
            ex.skip(where, skip_next)
            skip_next = None
            continue
        if word not in KEEP:
            continue            # queries and the like change nothing
        if re.search(r"\$[A-Za-z_]", body):
            ex.skip(where, "uses a mysqltest variable")
            continue
        low = body.lower()
        for pat, why in NEED:
            if re.search(pat, low):
                ex.skip(where, why)
                break
        else:
            chunk.append((word, delim, body.strip()))
    if chunk:
        ex.skip("%s:end" % name, "statements after the last dump point "
                "(never dumped by the original test)")


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    ex = Extract(outdir)
    for path in sys.argv[2:]:
        extract_file(ex, path)
    ex.skipped.close()


main()

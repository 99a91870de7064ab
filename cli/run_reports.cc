// JUnit XML and JSON reports of a run: see run_reports.h.
#include "run_reports.h"

#include <cstdio>
#include <string_view>

#include "program_files.h"

namespace gcv {

namespace {

std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", seconds);
  return text;
}

// Text in an XML attribute or element: the five entities escaped, and the
// control characters XML 1.0 forbids (all below 0x20 but tab, newline and
// carriage return) written as '?', so any report parses.
std::string xml_escaped(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        out += (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') ? '?' : c;
    }
  }
  return out;
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

const char* verdict_name(ProgramRun::Verdict verdict) {
  switch (verdict) {
    case ProgramRun::Verdict::Pass: return "pass";
    case ProgramRun::Verdict::Fail: return "fail";
    case ProgramRun::Verdict::Invalid: return "invalid";
    case ProgramRun::Verdict::Skipped: return "skipped";
  }
  return "?";
}

std::size_t count(const std::vector<ProgramRun>& runs, ProgramRun::Verdict verdict) {
  std::size_t n = 0;
  for (const ProgramRun& run : runs) n += run.verdict == verdict;
  return n;
}

double total_seconds(const std::vector<ProgramRun>& runs) {
  double total = 0;
  for (const ProgramRun& run : runs) total += run.seconds;
  return total;
}

// One <testsuite> of one <testcase> per program: a failure is a <failure>
// whose message is its signature and whose text is its report, a program
// that could not be read an <error>.
std::string junit(const std::vector<ProgramRun>& runs) {
  const std::string counts = "tests=\"" + std::to_string(runs.size()) + "\" failures=\"" +
                             std::to_string(count(runs, ProgramRun::Verdict::Fail)) + "\" errors=\"" +
                             std::to_string(count(runs, ProgramRun::Verdict::Invalid)) + "\" skipped=\"" +
                             std::to_string(count(runs, ProgramRun::Verdict::Skipped)) + "\" time=\"" +
                             seconds_text(total_seconds(runs)) + "\"";
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"gcverify run\" " + counts +
                    ">\n  <testsuite name=\"gcverify run\" " + counts + ">\n";
  for (const ProgramRun& run : runs) {
    out += "    <testcase classname=\"gcverify.run\" name=\"" + xml_escaped(run.file) + "\" file=\"" +
           xml_escaped(run.file) + "\" time=\"" + seconds_text(run.seconds) + "\"";
    if (run.verdict == ProgramRun::Verdict::Pass) {
      out += "/>\n";
      continue;
    }
    out += ">\n";
    if (run.verdict == ProgramRun::Verdict::Fail) {
      const Signature signature = run.report.signature();
      out += "      <failure message=\"" + xml_escaped(signature.to_string() + " (" + run.system + ") at " + run.location) +
             "\" type=\"" + xml_escaped(to_string(signature.outcome)) + "\">" + xml_escaped(run.text) + "</failure>\n";
    } else if (run.verdict == ProgramRun::Verdict::Skipped) {
      out += "      <skipped message=\"" + xml_escaped(run.text) + "\"/>\n";
    } else {
      out += "      <error message=\"" + xml_escaped(run.text) + "\" type=\"invalid program\"/>\n";
    }
    out += "    </testcase>\n";
  }
  return out + "  </testsuite>\n</testsuites>\n";
}

// {"passed": n, "failed": n, "invalid": n, "programs": [{...}, ...]}.
std::string json(const std::vector<ProgramRun>& runs) {
  std::string out = "{\n  \"passed\": " + std::to_string(count(runs, ProgramRun::Verdict::Pass)) +
                    ",\n  \"failed\": " + std::to_string(count(runs, ProgramRun::Verdict::Fail)) +
                    ",\n  \"invalid\": " + std::to_string(count(runs, ProgramRun::Verdict::Invalid)) +
                    ",\n  \"skipped\": " + std::to_string(count(runs, ProgramRun::Verdict::Skipped)) +
                    ",\n  \"programs\": [";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const ProgramRun& run = runs[i];
    out += std::string(i ? "," : "") + "\n    {\"file\": " + json_string(run.file) + ", \"outcome\": \"" +
           verdict_name(run.verdict) + "\", \"seconds\": " + seconds_text(run.seconds);
    if (run.verdict == ProgramRun::Verdict::Fail) {
      out += ", \"system\": " + json_string(run.system) + ", \"signature\": " +
             json_string(run.report.signature().to_string()) + ", \"location\": " + json_string(run.location) +
             ", \"operation\": " + json_string(run.report.op_text) + ", \"check\": " + json_string(run.report.check);
      if (run.report.outcome == Outcome::ProgramError)  // why the program cannot run, where expected/actual would be
        out += ", \"reason\": " + json_string(run.report.expected);
      else
        out += ", \"expected\": " + json_string(run.report.expected) + ", \"actual\": " + json_string(run.report.actual);
    } else if (run.verdict == ProgramRun::Verdict::Invalid) {
      out += ", \"error\": " + json_string(run.text);
    } else if (run.verdict == ProgramRun::Verdict::Skipped) {
      out += ", \"reason\": " + json_string(run.text);
    }
    out += "}";
  }
  return out + "\n  ]\n}\n";
}

const char* event_name(Event::Type type) {
  switch (type) {
    case Event::Type::Freed: return "freed";
    case Event::Type::CollectionStart: return "collection start";
    case Event::Type::CollectionStop: return "collection stop";
    case Event::Type::Finalized: return "finalized";
    case Event::Type::CallbackRan: return "callback";
  }
  return "?";
}

// An event as the text trace prints it.
std::string event_text(const Event& e) {
  const std::string generation = "collection of generation " + std::to_string(e.generation);
  switch (e.type) {
    case Event::Type::Freed: return "freed " + e.key.to_string();
    case Event::Type::CollectionStart: return generation + " begins";
    case Event::Type::CollectionStop:
      return generation + " ends: collected " + std::to_string(e.collected) + ", uncollectable " +
             std::to_string(e.uncollectable);
    case Event::Type::Finalized: return "finalizer of " + e.key.to_string() + " runs";
    case Event::Type::CallbackRan: return "callback of weakref " + e.key.to_string() + " runs";
  }
  return "?";
}

}  // namespace

std::function<void(const TraceEntry&)> trace_printer(const Program& program, const std::string& system, bool json,
                                                     std::ostream& out) {
  const std::string head = "{\"file\": " + json_string(program.origin) + ", \"system\": " + json_string(system);
  if (!json) out << "trace of " << program.origin << " on " << system << ":\n";
  return [&program, &out, json, head, depth = 0](const TraceEntry& entry) mutable {
    const bool teardown = entry.op_index >= program.ops.size();
    const std::string op = teardown ? "null" : std::to_string(entry.op_index + 1);
    if (entry.kind == TraceEntry::Kind::Operation) {
      const std::uint32_t line = teardown ? 0 : program.ops[entry.op_index].where.line;
      if (json) {
        out << head << ", \"op\": " << op << ", \"line\": " << (line ? std::to_string(line) : "null")
            << ", \"operation\": " << json_string(entry.text) << "}\n";
      } else {
        char number[16];
        std::snprintf(number, sizeof number, "%6s", teardown ? "" : op.c_str());
        out << number << (line ? "  line " + std::to_string(line) : std::string()) << "  " << entry.text << "\n";
      }
      return;
    }
    if (entry.kind == TraceEntry::Kind::MemoryError) {
      if (json) out << head << ", \"op\": " << op << ", \"memory_error\": " << json_string(entry.text) << "}\n";
      else out << std::string(10, ' ') << entry.text << "\n";
      return;
    }
    for (const Event& e : *entry.events) {
      if (e.type == Event::Type::CollectionStop) --depth;
      if (json) {
        out << head << ", \"op\": " << op << ", \"event\": \"" << event_name(e.type) << "\"";
        if (e.type == Event::Type::CollectionStart || e.type == Event::Type::CollectionStop)
          out << ", \"generation\": " << e.generation;
        else
          out << ", \"object\": \"" << e.key.to_string() << "\"";
        if (e.type == Event::Type::CollectionStop)
          out << ", \"collected\": " << e.collected << ", \"uncollectable\": " << e.uncollectable;
        out << ", \"depth\": " << depth << "}\n";
      } else {
        out << std::string(10 + 2 * static_cast<std::size_t>(depth), ' ') << event_text(e) << "\n";
      }
      if (e.type == Event::Type::CollectionStart) ++depth;
    }
  };
}

std::string failure_location(const Program& program, const Report& report) {
  if (report.op_index >= program.ops.size()) return program.origin + ": teardown";
  if (report.where.line == 0) return program.origin + ": operation " + std::to_string(report.op_index + 1);
  return program.origin + ":" + std::to_string(report.where.line) + ":" + std::to_string(report.where.column);
}

bool write_run_report(const std::string& kind, const std::string& path, const std::vector<ProgramRun>& runs,
                      std::string& error) {
  return save_text(path, kind == "junit" ? junit(runs) : json(runs), error);
}

}  // namespace gcv

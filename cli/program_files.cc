// Program files: see program_files.h.
#include "program_files.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <unistd.h>

#include "gcverify/binary.h"
#include "gcverify/executor.h"
#include "gcverify/text.h"

namespace gcv {
namespace fs = std::filesystem;

ProgramFormat form_of_bytes(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c == '\t' || c == '\n' || c == '\r' || c == '\f') continue;
    if (c < 0x20 || c == 0x7f) return ProgramFormat::Binary;
    if (c < 0x80) continue;
    // A UTF-8 sequence: a lead byte, then its continuation bytes.
    const std::size_t length = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    if (length == 0 || i + length > bytes.size()) return ProgramFormat::Binary;
    for (std::size_t k = 1; k < length; ++k)
      if ((static_cast<unsigned char>(bytes[i + k]) & 0xc0) != 0x80) return ProgramFormat::Binary;
    i += length - 1;
  }
  return ProgramFormat::Text;
}

namespace {

// Auto: by the name, for writing.
ProgramFormat format_for_writing(const std::string& path, ProgramFormat requested) {
  if (requested != ProgramFormat::Auto) return requested;
  return fs::path(path).extension() == ".heap" ? ProgramFormat::Text : ProgramFormat::Binary;
}

bool read_file(const std::string& path, std::string& bytes, std::string& error) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    error = path + ": is a directory";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) {
    error = path + ": read error";
    return false;
  }
  return true;
}

}  // namespace

namespace {

std::optional<Program> load(const std::string& path, ProgramFormat format, std::string& error, ProgramFormat* form,
                            std::size_t max_binary_ops, std::string* note) {
  std::string bytes;
  if (!read_file(path, bytes, error)) return std::nullopt;
  const ProgramFormat read_as = format != ProgramFormat::Auto ? format : form_of_bytes(bytes);
  if (form != nullptr) *form = read_as;
  if (read_as == ProgramFormat::Binary) {
    Program program = decode_binary({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, max_binary_ops);
    program.origin = path;
    if (note != nullptr && program.ops.size() == max_binary_ops && bytes.size() > max_binary_ops * kRecordSize)
      *note = path + ": note: only its first " + std::to_string(max_binary_ops) +
              " operations are read: a binary input runs under a budget of " +
              std::to_string(differential_fuzz_options().max_steps) + " primitive steps";
    if (note != nullptr && program.ops.empty())
      *note = path + ": warning: " + std::to_string(bytes.size()) + " bytes, too short to hold one " +
              std::to_string(kRecordSize) + "-byte operation: nothing runs";
    return program;
  }
  ParseError parse_error;
  auto program = parse_text(bytes, path, parse_error);
  if (!program) {
    error = parse_error.to_string();
    if (format == ProgramFormat::Auto && fs::path(path).extension() != ".heap")
      error += "\n" + path + ": note: read as text because its bytes are all printable; --format binary reads it as a binary program";
  } else if (note != nullptr && program->ops.empty()) {
    *note = path + ": warning: the program holds no operation: nothing runs";
  }
  return program;
}

}  // namespace

std::optional<Program> load_program(const std::string& path, ProgramFormat format, std::string& error,
                                    ProgramFormat* form) {
  return load(path, format, error, form, SIZE_MAX, nullptr);
}

std::optional<Program> load_program_to_run(const std::string& path, ProgramFormat format, std::string& error,
                                           ProgramFormat& form, std::string& note) {
  return load(path, format, error, &form, kMaxBinaryOpsRun, &note);
}

bool save_program(const Program& program, const std::string& path, ProgramFormat format, std::string& error) {
  if (format_for_writing(path, format) != ProgramFormat::Binary) return save_text(path, print_text(program), error);
  const auto encoded = encode_binary(program, error);
  if (!encoded) {
    error = path + ": " + error;
    return false;
  }
  return save_text(path, std::string(encoded->begin(), encoded->end()), error);
}

bool save_text(const std::string& path, const std::string& bytes, std::string& error) {
  // Write beside the target and rename, so a failure never leaves half a file.
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) {
      error = temporary + ": cannot write: " + std::strerror(errno);
      std::error_code ignored;
      fs::remove(temporary, ignored);
      return false;
    }
  }
  return move_into_place(temporary, path, error);
}

bool can_write(const std::string& path, std::string& error) {
  const fs::path parent = fs::path(path).parent_path().empty() ? fs::path(".") : fs::path(path).parent_path();
  std::error_code ec;
  if (!fs::is_directory(parent, ec)) {
    error = path + ": cannot write: no directory " + parent.string();
    return false;
  }
  if (access(parent.c_str(), W_OK) != 0) {
    error = path + ": cannot write into " + parent.string() + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

bool move_into_place(const std::string& temporary, const std::string& path, std::string& error) {
  std::error_code ec;
  fs::rename(temporary, path, ec);
  if (ec) {
    error = path + ": cannot write: " + ec.message();
    fs::remove(temporary, ec);
    return false;
  }
  return true;
}

bool collect_program_files(const std::vector<std::string>& paths, std::vector<std::string>& files, std::string& error,
                           FileFilter filter) {
  for (const std::string& path : paths) {
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
      error = path + ": no such file or directory";
      return false;
    }
    if (!fs::is_directory(status)) {
      files.push_back(path);
      continue;
    }
    std::vector<std::string> found;
    for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      const auto extension = it->path().extension();
      if (it->is_regular_file() && (filter == FileFilter::AnyFile || extension == ".heap" || extension == ".bin"))
        found.push_back(it->path().string());
    }
    if (ec) {
      error = path + ": " + ec.message();
      return false;
    }
    if (found.empty()) {
      error = path + ": a directory with no " +
              std::string(filter == FileFilter::AnyFile ? "file" : ".heap or .bin file") + " in it";
      return false;
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return true;
}

}  // namespace gcv

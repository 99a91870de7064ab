// Reading and writing heap programs as files: the text form or the binary
// form, and the .heap/.bin files under a directory.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gcverify/program.h"

namespace gcv {

enum class ProgramFormat { Auto, Text, Binary };

// The form of a file's bytes, whatever the file is called: text when they
// are printable (UTF-8, tabs, line breaks and form feeds; an empty file too),
// binary otherwise. Every binary record carries an opcode or operand byte
// below 0x20 unless it was made to look like text.
ProgramFormat form_of_bytes(std::string_view bytes);

// Loads one program, in `format` or (Auto) in the form of its bytes, and says
// which form it was read in (`form`, when given). On failure returns nullopt
// and a message naming the file, and for text the line and column.
std::optional<Program> load_program(const std::string& path, ProgramFormat format, std::string& error,
                                    ProgramFormat* form = nullptr);

// load_program for a run: a binary input (which runs under a budget of
// differential_fuzz_options().max_steps primitive steps) is read up to its
// first kMaxBinaryOpsRun operations, so a run's memory stays bounded however
// large the input; `note` then says so.
inline constexpr std::size_t kMaxBinaryOpsRun = std::size_t{1} << 20;
std::optional<Program> load_program_to_run(const std::string& path, ProgramFormat format, std::string& error,
                                           ProgramFormat& form, std::string& note);

// Writes `program` in `format`, or (Auto) by `path`'s name: .heap is text,
// anything else binary. False with a message on failure.
bool save_program(const Program& program, const std::string& path, ProgramFormat format, std::string& error);

// Writes `bytes` to `path` atomically (a temporary beside it, then a rename);
// false with a message on failure.
bool save_text(const std::string& path, const std::string& bytes, std::string& error);

// Whether a file can be written at `path` (its directory exists and is
// writable): checked before long work whose result goes there. False with a
// message naming `path` otherwise.
bool can_write(const std::string& path, std::string& error);

// Renames `temporary` to `path`, replacing it; on failure removes
// `temporary` and says why.
bool move_into_place(const std::string& temporary, const std::string& path, std::string& error);

// Expands files and directories into program files: a directory contributes
// its *.heap and *.bin files (AnyFile: every file, as fuzzer crash files have
// no extension), recursively, sorted. False with a message naming the path
// when it does not exist or is a directory with nothing to read.
enum class FileFilter { Programs, AnyFile };
bool collect_program_files(const std::vector<std::string>& paths, std::vector<std::string>& files, std::string& error,
                           FileFilter filter = FileFilter::Programs);

}  // namespace gcv

// Reading and writing heap programs as files: the text form (.heap) or the
// binary form (any other name), and the .heap/.bin files under a directory.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gcverify/program.h"

namespace gcv {

enum class ProgramFormat { Auto, Text, Binary };

// Auto: ".heap" means text, anything else binary.
ProgramFormat format_of(const std::string& path, ProgramFormat requested);

// Loads one program; on failure returns nullopt and a message naming the file,
// and for text the line and column.
std::optional<Program> load_program(const std::string& path, ProgramFormat format, std::string& error);

// Writes `program` in `format` (Text or Binary); false with a message on failure.
bool save_program(const Program& program, const std::string& path, ProgramFormat format, std::string& error);

// Writes `bytes` to `path` atomically (a temporary beside it, then a rename);
// false with a message on failure.
bool save_text(const std::string& path, const std::string& bytes, std::string& error);

// Expands files and directories into program files: a directory contributes
// its *.heap and *.bin files (AnyFile: every file, as fuzzer crash files have
// no extension), recursively, sorted. False with a message when a path does
// not exist.
enum class FileFilter { Programs, AnyFile };
bool collect_program_files(const std::vector<std::string>& paths, std::vector<std::string>& files, std::string& error,
                           FileFilter filter = FileFilter::Programs);

}  // namespace gcv

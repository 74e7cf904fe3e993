// Where a command writes its result (`-o`), the same way for every command:
//
//   "-"                 stdout (the command then reports on stderr)
//   a symbolic link     followed: the file it points to is written, the link stays
//   a FIFO or a character device (/dev/null)   opened and written directly
//   a regular file or a new name               written to a temporary file beside it, renamed over
//                                              it at commit(): an existing file is never destroyed
//                                              before the new result is complete
//   anything else (a folder, a socket, a block device)   refused
//
// The checks (folder exists, writable, temporary file created) run in the constructor, before the
// command does any work, so an unwritable path fails at once (exit 1).
//
// Interrupted by SIGINT or SIGTERM (install_interrupt_handlers), an output is cleaned up from the
// signal handler: its temporary file removed, unless keep_partial() was asked (translate --stream),
// in which case the header last given to set_header() is put at offset 0, the file set to the length
// that header describes, and the file renamed into place, so what was written is a valid WAV. The process then exits 130 (SIGINT) or 143.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley::cli {

// SIGINT/SIGTERM: clean the open outputs up (above) and exit 130/143. Call once, in main.
void install_interrupt_handlers();

class OutputFile {
 public:
  explicit OutputFile(const std::string& path);
  ~OutputFile();  // without commit(): the temporary file is removed, the target left as it was
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  const std::string& name() const { return name_; }
  bool is_stdout() const { return mode_ == Mode::Stdout; }
  // Appends bytes. Throws Error(Internal) when the write fails.
  void write(std::string_view bytes);
  // Bytes that belong at offset 0 if the output ends now (a WAV header), and the file's length they
  // describe (default: what has been written so far). Written by commit(), and by the interrupt
  // handler, which also sets the file to that length: a header given before a write of the bytes it
  // counts keeps that write whole if the signal comes during it (the unwritten rest reads as zeros).
  // Up to 256 bytes; ignored where the output cannot seek (stdout, FIFOs, devices).
  void set_header(std::string_view header, std::optional<uint64_t> file_length = std::nullopt);
  // Bytes written so far.
  uint64_t bytes_written() const { return written_; }
  // On SIGINT/SIGTERM, keep what was written (rename it into place) instead of removing it.
  void keep_partial();
  // Completes the output: header rewritten, temporary file renamed over the target.
  void commit();

 private:
  enum class Mode { Stdout, Direct, Replace };
  void open_direct();

  std::string name_;    // as the user gave it
  std::string target_;  // the path written in the end (symbolic links followed)
  std::string temp_;    // Replace: the temporary file beside target_
  std::string header_;  // set_header()'s last bytes
  Mode mode_ = Mode::Stdout;
  int fd_ = -1;
  uint64_t written_ = 0;  // bytes written so far
  int slot_ = -1;  // this output's entry in the interrupt handler's table
};

// The whole of `bytes` to `path` through an OutputFile ("-" = stdout).
void write_output(const std::string& path, std::string_view bytes);

}  // namespace parley::cli

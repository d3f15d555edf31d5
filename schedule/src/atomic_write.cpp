#include "warden/schedule/atomic_write.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace warden {

namespace {

bool fail(std::string* why, const std::string& what, int err) {
  if (why != nullptr)
    *why = what + ": " + std::strerror(err);
  return false;
}

} // namespace

bool write_file_atomically(const std::string& path, std::string_view text,
                           std::string* why, unsigned new_file_mode) {
  std::filesystem::path target{path};
  auto dir = target.parent_path();
  if (dir.empty())
    dir = ".";
  auto pattern = (dir / ("." + target.filename().string() + ".tmp.XXXXXX")).string();
  std::vector<char> name{pattern.begin(), pattern.end()};
  name.push_back('\0');
  int fd = ::mkstemp(name.data());
  if (fd < 0)
    return fail(why, "cannot create a temporary file in " + dir.string(), errno);
  std::string tmp{name.data()};
  auto abandon = [&](const std::string& what) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return fail(why, what, err);
  };
  // Keep the permissions of the file being replaced (mkstemp creates 0600).
  struct stat old;
  auto mode = ::stat(path.c_str(), &old) == 0 ? old.st_mode & 07777 : new_file_mode;
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0)
    return abandon("cannot set the permissions of " + tmp);
  size_t done = 0;
  while (done < text.size()) {
    auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return abandon("cannot write " + tmp);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0)
    return abandon("cannot sync " + tmp);
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return fail(why, "cannot close " + tmp, err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return fail(why, "cannot rename " + tmp + " to " + path, err);
  }
  // Make the rename itself durable.
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

} // namespace warden

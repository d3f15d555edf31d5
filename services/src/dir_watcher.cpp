#include "warden/services/dir_watcher.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "params.hpp"
#include "warden/actors/identity.hpp"

namespace warden::dir_watcher_detail {

/// One inotify event as the reader thread saw it.
struct raw_event {
  int wd = -1;
  uint32_t mask = 0;
  std::string name;
};

/// The events of one read(2), sent by the reader thread to the watcher.
struct event_batch {
  std::vector<raw_event> events;
};

} // namespace warden::dir_watcher_detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(warden::dir_watcher_detail::event_batch)

namespace warden {

namespace {

using detail::bool_param;
using detail::positive_param;
using detail::text_param;
using dir_watcher_detail::event_batch;
using dir_watcher_detail::raw_event;

// Timer → watcher: look for the missing directory again.
using retry_atom = caf::atom_constant<caf::atom("wd_dwretry")>;
// Reader thread → watcher: reading inotify failed (the reason).
using reader_failed_atom = caf::atom_constant<caf::atom("wd_dwfail")>;

int64_t mtime_ns(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

/// The reader thread: blocks in poll(2) on the inotify fd and the stop
/// eventfd, and sends what it reads to the watcher, one message per read.
void read_events(int ifd, int efd, caf::actor watcher) {
  alignas(inotify_event) char buf[64 * 1024];
  pollfd fds[2] = {{ifd, POLLIN, 0}, {efd, POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      caf::anon_send(watcher, reader_failed_atom::value,
                     std::string{"poll: "} + std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0)
      return; // stop
    if ((fds[0].revents & POLLIN) == 0) {
      if ((fds[0].revents & (POLLERR | POLLNVAL)) != 0) {
        caf::anon_send(watcher, reader_failed_atom::value,
                       std::string{"poll: error on the inotify descriptor"});
        return;
      }
      continue;
    }
    auto len = ::read(ifd, buf, sizeof(buf));
    if (len < 0) {
      if (errno == EINTR || errno == EAGAIN)
        continue;
      caf::anon_send(watcher, reader_failed_atom::value,
                     std::string{"read: "} + std::strerror(errno));
      return;
    }
    event_batch batch;
    for (char* p = buf; p < buf + len;) {
      auto ev = reinterpret_cast<inotify_event*>(p);
      batch.events.push_back(raw_event{
          ev->wd, ev->mask, ev->len > 0 ? std::string{ev->name} : std::string{}});
      p += sizeof(inotify_event) + ev->len;
    }
    caf::anon_send(watcher, std::move(batch));
  }
}

} // namespace

/// Everything the watcher knows; its methods run in the watcher's turn only
/// (the reader thread touches just the two descriptors).
struct dir_watcher::state {
  struct stamp {
    int64_t size = 0;
    int64_t mtime_ns = 0;
  };

  dir_watcher* self = nullptr;
  std::shared_ptr<spdlog::logger> log;

  // -- params -----------------------------------------------------------------
  std::string root; // absolute, normalised
  std::string root_name;
  std::string parent;
  std::string pattern = "*";
  bool recursive = false;
  std::string topic;
  std::chrono::milliseconds retry{1000};

  // -- inotify ----------------------------------------------------------------
  int ifd = -1;
  int efd = -1;
  std::thread reader;
  /// Watch descriptor → the directory it watches (absolute).
  std::unordered_map<int, std::string> dirs;
  int root_wd = -1;
  /// While the directory is missing: a watch on its parent, for its return.
  int parent_wd = -1;
  bool missing = false;
  uint64_t retry_gen = 0;

  // -- what was reported ------------------------------------------------------
  std::unordered_map<std::string, stamp> seen;
  uint64_t files_seen = 0;

  ~state() {
    close();
  }

  void configure(const nlohmann::json& params) {
    auto path = text_param(params, "path", "");
    if (path.empty())
      throw std::invalid_argument{"params.path: missing (the directory to watch)"};
    std::filesystem::path dir{path};
    if (dir.is_relative())
      dir = std::filesystem::path{current_identity().base_dir} / dir;
    dir = std::filesystem::absolute(dir).lexically_normal();
    root = dir.string();
    while (root.size() > 1 && root.back() == '/')
      root.pop_back();
    auto normal = std::filesystem::path{root};
    root_name = normal.filename().string();
    parent = normal.parent_path().string();
    pattern = text_param(params, "pattern", "*");
    recursive = bool_param(params, "recursive", false);
    topic = text_param(params, "topic", "File.Detected." + current_identity().node);
    retry = std::chrono::milliseconds{positive_param(params, "retry_ms", 1000)};
  }

  void open() {
    ifd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (ifd < 0)
      throw std::runtime_error{std::string{"inotify_init1: "} + std::strerror(errno)};
    efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0)
      throw std::runtime_error{std::string{"eventfd: "} + std::strerror(errno)};
    reader = std::thread{read_events, ifd, efd, caf::actor_cast<caf::actor>(self)};
  }

  void close() {
    if (reader.joinable()) {
      uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(efd, &one, sizeof(one));
      reader.join();
    }
    if (ifd >= 0)
      ::close(ifd);
    if (efd >= 0)
      ::close(efd);
    ifd = efd = -1;
  }

  uint32_t dir_mask() const {
    return IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF |
           IN_MOVE_SELF | IN_ONLYDIR | (recursive ? IN_CREATE : 0u);
  }

  int add_watch(const std::string& dir) {
    auto wd = ::inotify_add_watch(ifd, dir.c_str(), dir_mask());
    if (wd >= 0)
      dirs[wd] = dir;
    return wd;
  }

  /// Watches `dir` and, when recursive, every directory below it.
  void add_tree(const std::string& dir) {
    std::vector<std::string> todo{dir};
    while (!todo.empty()) {
      auto next = std::move(todo.back());
      todo.pop_back();
      if (add_watch(next) < 0 || !recursive)
        continue;
      for_each_entry(next, [&](const std::string& path, unsigned char type) {
        if (type == DT_DIR)
          todo.push_back(path);
      });
    }
    show_dirs();
  }

  /// Stops watching `dir` and everything below it (moved away or deleted),
  /// and forgets what was reported there.
  void drop_tree(const std::string& dir) {
    auto below = [&](const std::string& path) {
      return path == dir ||
             (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
              path[dir.size()] == '/');
    };
    for (auto i = dirs.begin(); i != dirs.end();) {
      if (below(i->second)) {
        ::inotify_rm_watch(ifd, i->first);
        i = dirs.erase(i);
      } else {
        ++i;
      }
    }
    for (auto i = seen.begin(); i != seen.end();)
      i = below(i->first) ? seen.erase(i) : std::next(i);
    show_dirs();
  }

  void show_dirs() {
    self->set_value("dirs", std::to_string(dirs.size()));
  }

  /// Calls `fn(path, type)` for the entries of `dir` (no `.` and `..`);
  /// `type` is DT_DIR, DT_REG or DT_UNKNOWN (anything else). Symbolic links
  /// count as what they point to, but links to directories are not
  /// followed (no loops).
  template <class F>
  static void for_each_entry(const std::string& dir, F fn) {
    auto d = ::opendir(dir.c_str());
    if (d == nullptr)
      return;
    while (auto e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0)
        continue;
      auto path = dir + "/" + e->d_name;
      unsigned char type = e->d_type;
      if (type == DT_UNKNOWN || type == DT_LNK) {
        struct stat st {};
        if (::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
          type = DT_DIR;
        else if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode))
          type = DT_REG;
        else
          type = DT_UNKNOWN;
      }
      if (type != DT_DIR && type != DT_REG)
        type = DT_UNKNOWN;
      fn(path, type);
    }
    ::closedir(d);
  }

  bool matches(const char* name) const {
    return ::fnmatch(pattern.c_str(), name, FNM_PERIOD) == 0;
  }

  /// Watches the directory; reports its contents when `report` (it came
  /// back, so everything in it is new to us).
  void attach(bool report) {
    struct stat st {};
    if (::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      go_missing();
      return;
    }
    auto wd = add_watch(root);
    if (wd < 0) {
      go_missing();
      return;
    }
    root_wd = wd;
    if (recursive)
      add_tree(root);
    show_dirs();
    if (parent_wd >= 0) {
      auto old = parent_wd;
      parent_wd = -1;
      ::inotify_rm_watch(ifd, old);
    }
    if (missing) {
      missing = false;
      self->clear_flag("missing");
      if (log)
        log->info("{}: {} is back; watching it again", self->path(), root);
    }
    if (report)
      scan(root, false);
  }

  void go_missing() {
    if (!missing) {
      missing = true;
      self->set_flag("missing");
      if (log)
        log->warn("{}: {} is missing; waiting for it", self->path(), root);
    }
    for (auto& kv : dirs)
      ::inotify_rm_watch(ifd, kv.first);
    dirs.clear();
    root_wd = -1;
    seen.clear();
    show_dirs();
    if (parent_wd < 0 && parent != root)
      parent_wd =
          ::inotify_add_watch(ifd, parent.c_str(), IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
    self->delayed_send(self, retry, retry_atom::value, ++retry_gen);
  }

  /// The directory itself went away (deleted, moved, unmounted).
  void lost_root() {
    go_missing();
    attach(true); // maybe it is there again already
  }

  /// A file closed after writing or moved in.
  void arrived(const std::string& path, const std::string& name) {
    if (!matches(name.c_str()))
      return;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      return;
    report(path, st);
  }

  void report(const std::string& path, const struct stat& st) {
    stamp now{static_cast<int64_t>(st.st_size), mtime_ns(st)};
    auto [i, added] = seen.try_emplace(path, now);
    if (!added) {
      if (i->second.size == now.size && i->second.mtime_ns == now.mtime_ns)
        return; // reported already (e.g. closed again without changes)
      i->second = now;
    }
    self->publish(topic, nlohmann::json{{"path", path},
                                        {"size", now.size},
                                        {"mtime", now.mtime_ns / 1000000}});
    ++files_seen;
    if (log)
      log->debug("{}: {} arrived ({} bytes)", self->path(), path, now.size);
    self->set_value("files_seen", std::to_string(files_seen));
    self->set_value("last_file", path);
  }

  /// Lists `dir` (and below, when recursive) and reports matching files
  /// not reported yet, except those open for writing. `full`: the whole
  /// tree, so entries of files no longer there are forgotten and missing
  /// watches are added.
  void scan(const std::string& dir, bool full) {
    std::vector<std::string> candidates;
    std::unordered_set<std::string> present;
    std::vector<std::string> todo{dir};
    while (!todo.empty()) {
      auto next = std::move(todo.back());
      todo.pop_back();
      for_each_entry(next, [&](const std::string& path, unsigned char type) {
        if (type == DT_DIR) {
          if (recursive) {
            if (full)
              add_watch(path);
            todo.push_back(path);
          }
          return;
        }
        auto name = path.c_str() + path.rfind('/') + 1;
        if (type != DT_REG || !matches(name))
          return;
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
          return;
        if (full)
          present.insert(path);
        auto i = seen.find(path);
        if (i != seen.end() && i->second.size == static_cast<int64_t>(st.st_size) &&
            i->second.mtime_ns == mtime_ns(st))
          return;
        candidates.push_back(path);
      });
    }
    if (full) {
      for (auto i = seen.begin(); i != seen.end();)
        i = present.count(i->first) == 0 ? seen.erase(i) : std::next(i);
      show_dirs();
    }
    if (candidates.empty())
      return;
    // A file still open for writing is left for its IN_CLOSE_WRITE (the
    // watch is in place). Size and mtime are read again after the look at
    // the writers: read before, they could be those of a half-written file
    // whose writer closed it in between.
    auto writers = files_open_for_writing();
    for (auto& c : candidates) {
      struct stat st {};
      if (::stat(c.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
          writers.count(file_id{st.st_dev, st.st_ino}) != 0)
        continue;
      report(c, st);
    }
  }

  void handle(const event_batch& batch) {
    bool overflow = false;
    for (auto& ev : batch.events) {
      if ((ev.mask & IN_Q_OVERFLOW) != 0) {
        overflow = true;
        continue;
      }
      if (parent_wd >= 0 && ev.wd == parent_wd) {
        if ((ev.mask & IN_IGNORED) != 0)
          parent_wd = -1;
        else if (missing && (ev.mask & (IN_CREATE | IN_MOVED_TO)) != 0 &&
                 ev.name == root_name)
          attach(true);
        continue;
      }
      auto i = dirs.find(ev.wd);
      if (i == dirs.end())
        continue; // a watch dropped already
      auto dir = i->second;
      if ((ev.mask & IN_IGNORED) != 0) {
        dirs.erase(i);
        if (ev.wd == root_wd)
          lost_root();
        else
          show_dirs();
        continue;
      }
      if ((ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF)) != 0) {
        // A subdirectory's move is handled by its parent's IN_MOVED_FROM,
        // its deletion by the IN_IGNORED that follows.
        if (ev.wd == root_wd)
          lost_root();
        continue;
      }
      if (ev.name.empty())
        continue;
      auto path = dir + "/" + ev.name;
      if ((ev.mask & IN_ISDIR) != 0) {
        if (!recursive)
          continue;
        if ((ev.mask & (IN_CREATE | IN_MOVED_TO)) != 0) {
          add_tree(path);
          scan(path, false); // files that arrived before the watch
        } else if ((ev.mask & (IN_MOVED_FROM | IN_DELETE)) != 0) {
          drop_tree(path);
        }
        continue;
      }
      if ((ev.mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) != 0)
        arrived(path, ev.name);
      else if ((ev.mask & (IN_DELETE | IN_MOVED_FROM)) != 0)
        seen.erase(path);
    }
    if (overflow && !missing) {
      if (log)
        log->warn("{}: the inotify queue overflowed; rescanning {}", self->path(), root);
      scan(root, true);
    }
  }
};

dir_watcher::dir_watcher(caf::actor_config& cfg, service_init init)
  : service(cfg, std::move(init))
  , st_(std::make_unique<state>()) {
  st_->self = this;
  st_->log = spdlog::get("services");
}

dir_watcher::~dir_watcher() = default;

const char* dir_watcher::name() const {
  return "warden.dir_watcher";
}

void dir_watcher::on_start() {
  try {
    st_->configure(params());
    st_->open();
  } catch (const std::exception& e) {
    fail(e.what());
    return;
  }
  set_value("watching", st_->root);
  set_value("files_seen", "0");
  st_->attach(false);
  if (st_->log && !st_->missing)
    st_->log->info("{}: watching {} for '{}'{}", path(), st_->root, st_->pattern,
                   st_->recursive ? " (recursive)" : "");
}

void dir_watcher::on_stop() {
  st_->close();
}

void dir_watcher::on_tick(const tick& x) {
  if (x.name == "scan" && !st_->missing)
    st_->scan(st_->root, true);
}

caf::behavior dir_watcher::make_service_behavior() {
  return {
      [this](const event_batch& batch) { st_->handle(batch); },
      [this](retry_atom, uint64_t gen) {
        if (gen == st_->retry_gen && st_->missing)
          st_->attach(true);
      },
      [this](reader_failed_atom, const std::string& why) {
        fail("reading inotify events failed: " + why);
      },
  };
}

std::set<file_id> files_open_for_writing() {
  std::set<file_id> result;
  auto proc = ::opendir("/proc");
  if (proc == nullptr)
    return result;
  auto digits = [](const char* x) { return *x >= '0' && *x <= '9'; };
  while (auto p = ::readdir(proc)) {
    if (!digits(p->d_name))
      continue;
    auto base = std::string{"/proc/"} + p->d_name;
    auto fds = ::open((base + "/fd").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fds < 0)
      continue;
    auto infos = ::opendir((base + "/fdinfo").c_str());
    if (infos == nullptr) {
      ::close(fds);
      continue;
    }
    while (auto f = ::readdir(infos)) {
      if (!digits(f->d_name))
        continue;
      auto info = ::openat(::dirfd(infos), f->d_name, O_RDONLY | O_CLOEXEC);
      if (info < 0)
        continue;
      char buf[512];
      auto len = ::read(info, buf, sizeof(buf) - 1);
      ::close(info);
      if (len <= 0)
        continue;
      buf[len] = '\0';
      auto flags_at = std::strstr(buf, "flags:");
      if (flags_at == nullptr)
        continue;
      auto flags = std::strtoul(flags_at + 6, nullptr, 8);
      if ((flags & O_ACCMODE) == O_RDONLY)
        continue;
      struct stat st {};
      if (::fstatat(fds, f->d_name, &st, 0) == 0 && S_ISREG(st.st_mode))
        result.emplace(static_cast<uint64_t>(st.st_dev),
                       static_cast<uint64_t>(st.st_ino));
    }
    ::closedir(infos);
    ::close(fds);
  }
  ::closedir(proc);
  return result;
}

} // namespace warden

#include "warden/supervisor/validate.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace warden {

namespace {

void check_backoff(const backoff_policy& b, const std::string& where,
                   std::vector<spec_error>& out) {
  if (b.min.count() < 0 || b.max.count() < 0)
    out.push_back({where, "backoff delays must not be negative"});
  if (b.max.count() > 0 && b.min > b.max)
    out.push_back({where, "backoff min (" + std::to_string(b.min.count()) +
                              " ms) exceeds max (" + std::to_string(b.max.count()) +
                              " ms)"});
  if (b.jitter < 0.0 || b.jitter > 1.0)
    out.push_back({where, "backoff jitter must be a fraction between 0 and 1"});
  if (b.reset_after.count() < 0)
    out.push_back({where, "backoff reset_after must not be negative"});
}

void check_flags(const supervisor_flags& flags, const std::string& path,
                 std::vector<spec_error>& out) {
  if (flags.period.count() <= 0)
    out.push_back({path, "period must be positive"});
  check_backoff(flags.backoff, path, out);
}

// Checks one child on its own (not its relation to siblings).
void check_child(const child_spec& c, const supervisor_flags& flags,
                 const std::string& path, std::vector<spec_error>& out) {
  if (c.name.empty())
    out.push_back({path, "child name must not be empty"});
  else if (c.name.find('/') != std::string::npos)
    out.push_back({path, "child name must not contain '/'"});
  if (!c.supervisor && !c.factory)
    out.push_back({path, "child has no factory"});
  if (c.shutdown.count() < 0)
    out.push_back({path, "shutdown deadline must not be negative"});
  if (c.significant && c.restart == restart_type::permanent)
    out.push_back({path, "a permanent child cannot be significant"});
  if (c.significant && flags.shutdown == auto_shutdown::never)
    out.push_back(
        {path, "significant child under a supervisor with auto_shutdown never"});
  if (c.backoff)
    check_backoff(*c.backoff, path, out);
  if (std::find(c.depends_on.begin(), c.depends_on.end(), c.name) != c.depends_on.end())
    out.push_back({path, "child depends on itself"});
  if (c.supervisor) {
    auto nested = validate(*c.supervisor, path);
    out.insert(out.end(), nested.begin(), nested.end());
  }
}

std::string child_path(const std::string& parent, const std::string& name) {
  return parent + "/" + (name.empty() ? std::string{"?"} : name);
}

} // namespace

std::vector<spec_error> validate(const supervisor_spec& spec, const std::string& path) {
  std::vector<spec_error> out;
  check_flags(spec.flags, path, out);
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < spec.children.size(); ++i) {
    auto& c = spec.children[i];
    auto where = child_path(path, c.name);
    check_child(c, spec.flags, where, out);
    if (!c.name.empty() && !index.emplace(c.name, i).second)
      out.push_back({where, "duplicate child name '" + c.name + "'"});
  }
  bool deps_known = true;
  for (auto& c : spec.children)
    for (auto& dep : c.depends_on)
      if (dep != c.name && index.count(dep) == 0) {
        out.push_back({child_path(path, c.name),
                       "depends_on names '" + dep + "', which is not a sibling"});
        deps_known = false;
      }
  if (deps_known) {
    // Cycle check: a depth-first search with three colours.
    std::vector<uint8_t> colour(spec.children.size(), 0);
    std::vector<std::string> stack;
    std::function<bool(size_t)> visit = [&](size_t i) {
      colour[i] = 1;
      stack.push_back(spec.children[i].name);
      for (auto& dep : spec.children[i].depends_on) {
        if (dep == spec.children[i].name)
          continue;
        auto j = index[dep];
        if (colour[j] == 1) {
          std::string cycle;
          auto from = std::find(stack.begin(), stack.end(), dep);
          for (auto k = from; k != stack.end(); ++k)
            cycle += *k + " -> ";
          cycle += dep;
          out.push_back({child_path(path, spec.children[i].name),
                         "depends_on forms a cycle: " + cycle});
          return false;
        }
        if (colour[j] == 0 && !visit(j))
          return false;
      }
      colour[i] = 2;
      stack.pop_back();
      return true;
    };
    for (size_t i = 0; i < spec.children.size(); ++i)
      if (colour[i] == 0 && !visit(i))
        break;
  }
  return out;
}

std::vector<spec_error> validate_child(const child_spec& child,
                                       const std::vector<std::string>& sibling_names,
                                       const supervisor_flags& flags,
                                       const std::string& parent_path) {
  std::vector<spec_error> out;
  auto where = child_path(parent_path, child.name);
  check_child(child, flags, where, out);
  auto known = [&](const std::string& name) {
    return std::find(sibling_names.begin(), sibling_names.end(), name) !=
           sibling_names.end();
  };
  if (known(child.name))
    out.push_back({where, "duplicate child name '" + child.name + "'"});
  for (auto& dep : child.depends_on)
    if (dep != child.name && !known(dep))
      out.push_back({where, "depends_on names '" + dep + "', which is not a sibling"});
  return out;
}

std::vector<size_t> start_order(const std::vector<child_spec>& children) {
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < children.size(); ++i)
    index.emplace(children[i].name, i);
  std::vector<size_t> order;
  order.reserve(children.size());
  std::vector<bool> placed(children.size(), false);
  // Repeatedly place the leftmost child whose dependencies are placed. O(n)
  // for children without dependencies, O(n^2) worst case for long chains.
  std::function<void(size_t)> place = [&](size_t i) {
    if (placed[i])
      return;
    placed[i] = true; // validated: no cycles
    for (auto& dep : children[i].depends_on)
      if (auto it = index.find(dep); it != index.end() && it->second != i)
        place(it->second);
    order.push_back(i);
  };
  for (size_t i = 0; i < children.size(); ++i)
    place(i);
  return order;
}

std::string to_string(const std::vector<spec_error>& errors) {
  std::string result;
  for (auto& e : errors) {
    if (!result.empty())
      result += "; ";
    result += e.where + ": " + e.message;
  }
  return result;
}

} // namespace warden

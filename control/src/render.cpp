#include <algorithm>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "warden/control/client.hpp"

namespace warden {

namespace {

const char* color_of(const std::string& state) {
  if (state == "running" || state == "ok" || state == "started" || state == "restarted" ||
      state == "done")
    return "\033[32m";
  if (state == "failed" || state == "failing" || state == "crashed" || state == "gave_up")
    return "\033[31m";
  if (state == "stopped" || state == "disabled")
    return "\033[2m";
  return "\033[33m"; // starting, backoff, waiting, stopping, degraded
}

std::string paint(const std::string& state, bool color) {
  if (!color)
    return state;
  return color_of(state) + state + "\033[0m";
}

std::string text_of(const nlohmann::json& x) {
  if (x.is_string())
    return x.get<std::string>();
  if (x.is_null())
    return "-";
  return x.dump();
}

/// Display width of UTF-8 text: code points, not bytes.
size_t width(const std::string& x) {
  size_t n = 0;
  for (unsigned char c : x)
    if ((c & 0xC0) != 0x80)
      ++n;
  return n;
}

/// Rows of cells as aligned columns; `state_col` is coloured.
std::string table(const std::vector<std::vector<std::string>>& rows, int state_col,
                  bool color) {
  std::vector<size_t> widths;
  for (auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) {
      if (widths.size() <= i)
        widths.push_back(0);
      widths[i] = std::max(widths[i], width(row[i]));
    }
  std::string out;
  for (size_t r = 0; r < rows.size(); ++r) {
    auto& row = rows[r];
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      auto cell = row[i];
      auto pad = widths[i] - width(cell);
      if (r > 0 && static_cast<int>(i) == state_col)
        cell = paint(cell, color);
      line += cell;
      if (i + 1 < row.size())
        line += std::string(pad + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

void tree_rows(const nlohmann::json& node, const std::string& prefix, bool last, bool top,
               std::vector<std::vector<std::string>>& rows) {
  std::string label = top ? node.value("name", std::string{"root"})
                          : prefix + (last ? "└─ " : "├─ ") + node.value("name", "");
  rows.push_back({label, node.value("type", ""), node.value("state", ""),
                  std::to_string(node.value("restarts", 0))});
  auto& children = node["children"];
  if (!children.is_array())
    return;
  auto child_prefix = top ? std::string{} : prefix + (last ? "   " : "│  ");
  for (size_t i = 0; i < children.size(); ++i)
    tree_rows(children[i], child_prefix, i + 1 == children.size(), false, rows);
}

void dot_nodes(const nlohmann::json& node, std::string& out) {
  auto path = node.value("path", "");
  auto state = node.value("state", "");
  const char* fill = state == "running" || state == "done" ? "palegreen"
                     : state == "failed"                   ? "salmon"
                     : state == "stopped"                  ? "lightgrey"
                     : state == "disabled"                 ? "lightgrey"
                                                           : "khaki";
  out += "  \"" + path + "\" [label=\"" + node.value("name", "") + "\\n" +
         node.value("type", "") + " · " + state + "\", style=filled, fillcolor=" + fill +
         "];\n";
  if (!node["children"].is_array())
    return;
  for (auto& child : node["children"]) {
    out += "  \"" + path + "\" -> \"" + child.value("path", "") + "\";\n";
    dot_nodes(child, out);
  }
}

} // namespace

std::string render_text(const std::string& command, const nlohmann::json& result,
                        bool color) {
  if (command == "status") {
    std::string out = result.value("program", "") + " on " + result.value("node", "") +
                      ": " + paint(result.value("status", ""), color) + " (pid " +
                      std::to_string(result.value("pid", 0)) + ", up " +
                      std::to_string(result.value("uptime_s", 0)) + " s)\n";
    std::vector<std::vector<std::string>> rows{{"PATH", "STATE", "RESTARTS"}};
    for (auto& s : result["services"])
      rows.push_back({s.value("path", ""), s.value("state", ""),
                      std::to_string(s.value("restarts", 0))});
    return out + table(rows, 1, color);
  }
  if (command == "tree") {
    std::vector<std::vector<std::string>> rows{{"NAME", "TYPE", "STATE", "RESTARTS"}};
    if (result.is_object() && result.contains("path"))
      tree_rows(result, "", true, true, rows);
    return table(rows, 2, color);
  }
  if (command == "inspect") {
    std::vector<std::vector<std::string>> rows{{"", ""}};
    auto add = [&](const std::string& key, const std::string& value) {
      rows.push_back({key, value});
    };
    add("path", result.value("path", ""));
    add("type", result.value("type", ""));
    add("state", paint(result.value("state", ""), color));
    add("restarts", std::to_string(result.value("restarts", 0)));
    auto& last = result["last_exit"];
    add("last exit", last.is_object()
                         ? text_of(last["reason"]) + " at " + text_of(last["time"])
                         : "-");
    char uptime[32];
    std::snprintf(uptime, sizeof(uptime), "%.1f s", result.value("uptime_s", 0.0));
    add("uptime", uptime);
    add("mailbox", std::to_string(result.value("mailbox", 0)));
    add("handled", std::to_string(result.value("handled", 0)));
    if (result.contains("pid"))
      add("pid", text_of(result["pid"]));
    std::string flags;
    for (auto& f : result["flags"])
      flags += (flags.empty() ? "" : ", ") + f.get<std::string>();
    add("flags", flags.empty() ? "-" : flags);
    bool first = true;
    for (auto& [key, value] : result["values"].items()) {
      if (key.rfind("schedule.", 0) == 0)
        continue;
      add(first ? "values" : "", key + " = " + text_of(value));
      first = false;
    }
    if (first)
      add("values", "-");
    first = true;
    for (auto& s : result["schedules"]) {
      add(first ? "schedules" : "", s.value("tick", "") + ": next " +
                                        s.value("next", std::string{"-"}) + ", last " +
                                        s.value("last", std::string{"-"}));
      first = false;
    }
    if (result.contains("strategy")) {
      add("strategy", text_of(result["strategy"]));
      add("intensity", std::to_string(result.value("restarts_in_window", 0)) + " of " +
                           std::to_string(result.value("intensity", 0)) +
                           " restarts used in " +
                           std::to_string(result.value("period_ms", 0)) + " ms");
    }
    // The two-column table without its empty header row.
    auto text = table(rows, -1, false);
    text = text.substr(text.find('\n') + 1);
    if (result.contains("children") && result["children"].is_array()) {
      std::vector<std::vector<std::string>> kids{{"CHILD", "TYPE", "STATE", "RESTARTS"}};
      for (auto& c : result["children"])
        kids.push_back({c.value("path", ""), c.value("type", ""), c.value("state", ""),
                        std::to_string(c.value("restarts", 0))});
      text += "\n" + table(kids, 2, color);
    }
    return text;
  }
  if (result.contains("done"))
    return result.value("done", "") + " " + result.value("path", "") +
           (result.contains("reload") ? " (" + result.value("reload", "") + ")" : "") +
           "\n";
  if (result.contains("reload"))
    return result.value("reload", "") + "\n";
  return result.dump() + "\n";
}

std::string render_dot(const nlohmann::json& tree) {
  std::string out =
      "digraph warden {\n  rankdir=LR;\n  node [shape=box, fontname=\"sans\"];\n";
  if (tree.is_object() && tree.contains("path"))
    dot_nodes(tree, out);
  return out + "}\n";
}

std::string render_event(const nlohmann::json& ev, bool color) {
  auto kind = ev.value("kind", "");
  auto ms = ev.value("time", int64_t{0});
  auto secs = static_cast<time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char when[64];
  std::snprintf(when, sizeof(when), "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min,
                tm.tm_sec, static_cast<int>(ms % 1000));
  std::string line =
      std::string{when} + "  " + paint(kind, color) + "  " + ev.value("child", "");
  auto reason = ev.value("reason", "");
  if (!reason.empty() && reason != "normal")
    line += "  reason=\"" + reason + "\"";
  line += "  restarts=" + std::to_string(ev.value("restarts", 0));
  if (ev.value("delay_ms", 0) > 0)
    line += "  delay_ms=" + std::to_string(ev.value("delay_ms", 0));
  return line + "\n";
}

} // namespace warden

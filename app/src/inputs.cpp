#include <pixlime_app/inputs.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>

namespace fs = std::filesystem;

namespace pixlime::app {

bool is_image_file(const fs::path& p) {
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    static const std::set<std::string> known{".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga", ".psd", ".pnm", ".ppm", ".pgm"};
    return known.count(ext) > 0;
}

std::vector<std::string> expand_inputs(const std::vector<std::string>& args, const std::string& list_file, const std::string& out_dir) {
    std::error_code oec;
    const fs::path results = out_dir.empty() ? fs::path() : fs::weakly_canonical(out_dir, oec);
    const auto inside_out = [&](const fs::path& p) {
        if (results.empty() || oec) return false;
        std::error_code e;
        const fs::path c = fs::weakly_canonical(p, e);
        const auto o = std::mismatch(results.begin(), results.end(), c.begin(), c.end()).first;
        return !e && o == results.end();
    };
    std::vector<std::string> given = args;
    if (!list_file.empty()) {
        std::ifstream in(list_file);
        if (!in) throw input_error("--list '" + list_file + "': cannot be read");
        for (std::string line; std::getline(in, line);) {
            while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
            if (!line.empty() && line[0] != '#') given.push_back(line);
        }
    }
    std::vector<std::string> out;
    for (const std::string& g : given) {
        std::error_code ec;
        if (fs::is_directory(g, ec)) {
            std::vector<std::string> found;
            for (auto it = fs::recursive_directory_iterator(g, fs::directory_options::skip_permission_denied, ec);
                 !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
                if (it->is_regular_file(ec) && is_image_file(it->path()) && !inside_out(it->path())) found.push_back(it->path().string());
            if (ec) throw input_error("input folder '" + g + "': " + ec.message());
            std::sort(found.begin(), found.end());
            out.insert(out.end(), found.begin(), found.end());
        } else {
            out.push_back(g);  // a missing or unreadable file fails as that image, with its reason
        }
    }
    return out;
}

std::vector<std::string> take_shard(const std::vector<std::string>& all, const std::string& shard) {
    if (shard.empty()) return all;
    const auto slash = shard.find('/');
    int i = -1, n = -1;
    try {
        if (slash == std::string::npos) throw std::invalid_argument("");
        std::size_t a = 0, b = 0;
        i = std::stoi(shard.substr(0, slash), &a);
        n = std::stoi(shard.substr(slash + 1), &b);
        if (a != slash || b != shard.size() - slash - 1) throw std::invalid_argument("");
    } catch (const std::exception&) {
        throw input_error("--shard '" + shard + "': expected I/N, e.g. 0/4 (the first of 4 shards)");
    }
    if (n < 1 || i < 0 || i >= n) throw input_error("--shard '" + shard + "': expected 0 <= I < N and N >= 1");
    std::vector<std::string> out;
    for (std::size_t k = std::size_t(i); k < all.size(); k += std::size_t(n)) out.push_back(all[k]);
    return out;
}

}  // namespace pixlime::app

#include <pixlime_app/common.hpp>
#include <pixlime_app/mlp.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace pixlime::app {

namespace {

constexpr char magic[8] = {'P', 'X', 'L', 'M', 'L', 'P', '\r', '\n'};

std::uint64_t fnv1a(const std::uint8_t* p, std::size_t n) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (std::size_t i = 0; i < n; ++i) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

struct writer {
    std::vector<std::uint8_t> out;
    void u32(std::uint32_t v) {
        for (int i = 0; i < 4; ++i) out.push_back(std::uint8_t(v >> (8 * i)));
    }
    void u64(std::uint64_t v) {
        for (int i = 0; i < 8; ++i) out.push_back(std::uint8_t(v >> (8 * i)));
    }
    void f32(float f) {
        std::uint32_t v;
        std::memcpy(&v, &f, 4);
        u32(v);
    }
    void str(const std::string& s) {
        u32(std::uint32_t(s.size()));
        out.insert(out.end(), s.begin(), s.end());
    }
};

struct reader {
    const std::vector<std::uint8_t>& in;
    std::size_t pos = 0;
    void need(std::size_t n) const {
        if (in.size() - pos < n) throw std::runtime_error("model file is truncated");
    }
    std::uint32_t u32() {
        need(4);
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v |= std::uint32_t(in[pos++]) << (8 * i);
        return v;
    }
    std::uint64_t u64() {
        need(8);
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v |= std::uint64_t(in[pos++]) << (8 * i);
        return v;
    }
    float f32() {
        const std::uint32_t v = u32();
        float f;
        std::memcpy(&f, &v, 4);
        return f;
    }
    std::string str(std::size_t max_len) {
        const std::uint32_t n = u32();
        if (n > max_len) throw std::runtime_error("model file has an oversized string");
        need(n);
        std::string s(in.begin() + std::ptrdiff_t(pos), in.begin() + std::ptrdiff_t(pos + n));
        pos += n;
        return s;
    }
};

/// Column-wise softmax of logits (classes x N), in place.
void softmax_columns(Eigen::MatrixXf& z) {
    for (Eigen::Index j = 0; j < z.cols(); ++j) {
        auto c = z.col(j);
        c.array() -= c.maxCoeff();
        c = c.array().exp();
        c /= c.sum();
    }
}

void sigmoid_inplace(Eigen::MatrixXf& z) {
    z = z.unaryExpr([](float v) { return v >= 0 ? 1.0f / (1.0f + std::exp(-v)) : std::exp(v) / (1.0f + std::exp(v)); });
}

std::string shape_text(int width, int height, int channels) {
    return std::to_string(width) + "x" + std::to_string(height) + "x" + std::to_string(channels);
}

}  // namespace

void mlp::validate() const {
    if (shape.width < 1 || shape.height < 1 || shape.channels < 1 || shape.width > 4096 || shape.height > 4096 ||
        shape.channels > 4)
        throw std::runtime_error("model has a bad input shape");
    if (layers.empty()) throw std::runtime_error("model has no layer");
    Eigen::Index in = shape.size();
    for (const auto& l : layers) {
        if (l.weights.cols() != in || l.weights.rows() < 1 || l.bias.size() != l.weights.rows())
            throw std::runtime_error("model layers do not chain");
        in = l.weights.rows();
    }
    if (output == output_kind::softmax && std::size_t(in) != classes.size())
        throw std::runtime_error("softmax model: outputs and class names differ in number");
    if (output == output_kind::sigmoid && (in != 1 || classes.size() != 2))
        throw std::runtime_error("sigmoid model: expected one output and two class names");
}

void mlp::forward(const Eigen::Ref<const Eigen::MatrixXf>& x, forward_trace& t) const {
    if (x.rows() != shape.size())
        throw std::invalid_argument("model input has " + std::to_string(x.rows()) + " values per image, expected " +
                                    std::to_string(shape.size()));
    const std::size_t n = layers.size();
    t.inputs.resize(n);
    t.logits.resize(n);
    t.inputs[0] = x;
    for (std::size_t l = 0; l < n; ++l) {
        t.logits[l].noalias() = layers[l].weights * t.inputs[l];
        t.logits[l].colwise() += layers[l].bias;
        if (l + 1 < n) {
            t.inputs[l + 1] = t.logits[l].cwiseMax(0.0f);  // ReLU
        } else {
            t.output = t.logits[l];
            if (output == output_kind::softmax) softmax_columns(t.output);
            else sigmoid_inplace(t.output);
        }
    }
}

Eigen::MatrixXf mlp::predict(const Eigen::Ref<const Eigen::MatrixXf>& x) const {
    forward_trace t;
    forward(x, t);
    return t.output.transpose();
}

Eigen::MatrixXf mlp::operator()(pixlime::batch_view<const float> batch) const {
    if (batch.width() != shape.width || batch.height() != shape.height || batch.channels() != shape.channels)
        throw std::invalid_argument("the model takes " + shape_text(shape.width, shape.height, shape.channels) +
                                    " images (width x height x channels), got " +
                                    shape_text(batch.width(), batch.height(), batch.channels()));
    if (batch.layout() != pixlime::layout::nhwc && batch.channels() > 1)
        throw std::invalid_argument("the model takes NHWC batches (pixlime's default model_input), got NCHW");
    Eigen::Map<const Eigen::MatrixXf> x(batch.data(), shape.size(), batch.size());
    return predict(x);
}

std::vector<std::uint8_t> mlp::serialize() const {
    validate();
    writer w;
    w.out.insert(w.out.end(), std::begin(magic), std::end(magic));
    w.u32(format_version);
    w.u32(std::uint32_t(shape.width));
    w.u32(std::uint32_t(shape.height));
    w.u32(std::uint32_t(shape.channels));
    w.u32(std::uint32_t(output));
    w.u32(std::uint32_t(layers.size()));
    for (const auto& l : layers) {
        w.u32(std::uint32_t(l.weights.rows()));
        w.u32(std::uint32_t(l.weights.cols()));
        for (Eigen::Index r = 0; r < l.weights.rows(); ++r)  // row-major on disk
            for (Eigen::Index c = 0; c < l.weights.cols(); ++c) w.f32(l.weights(r, c));
        for (Eigen::Index r = 0; r < l.bias.size(); ++r) w.f32(l.bias(r));
    }
    w.u32(std::uint32_t(classes.size()));
    for (const auto& c : classes) w.str(c);
    w.str(metadata);
    w.u64(fnv1a(w.out.data(), w.out.size()));
    return w.out;
}

mlp mlp::deserialize(const std::vector<std::uint8_t>& bytes) {
    const std::size_t prefix = std::min(bytes.size(), sizeof magic);
    if (!std::equal(std::begin(magic), std::begin(magic) + std::ptrdiff_t(prefix), bytes.begin()))
        throw std::runtime_error("not a pixlime MLP model file (bad magic: a .pxm file starts with \"PXLMLP\")");
    if (bytes.size() < sizeof magic + 12) throw std::runtime_error("model file is truncated (" + std::to_string(bytes.size()) + " bytes)");
    reader r{bytes, sizeof magic};
    const std::uint32_t version = r.u32();
    if (version != format_version)
        throw std::runtime_error("model file format version " + std::to_string(version) + " is not supported (this program reads version " +
                                 std::to_string(format_version) + ")");
    {
        reader tail{bytes, bytes.size() - 8};
        if (tail.u64() != fnv1a(bytes.data(), bytes.size() - 8))
            throw std::runtime_error("model file is truncated or corrupt (checksum mismatch)");
    }
    mlp m;
    m.shape.width = int(r.u32());
    m.shape.height = int(r.u32());
    m.shape.channels = int(r.u32());
    const std::uint32_t kind = r.u32();
    if (kind > 1) throw std::runtime_error("model file has an unknown output kind");
    m.output = output_kind(kind);
    const std::uint32_t n_layers = r.u32();
    if (n_layers < 1 || n_layers > 64) throw std::runtime_error("model file has a bad layer count");
    for (std::uint32_t i = 0; i < n_layers; ++i) {
        const std::uint32_t rows = r.u32(), cols = r.u32();
        if (rows < 1 || cols < 1 || std::uint64_t(rows) * cols > (std::uint64_t(1) << 28))
            throw std::runtime_error("model file has a bad layer size");
        r.need((std::size_t(rows) * cols + rows) * 4);
        dense_layer l;
        l.weights.resize(rows, cols);
        for (Eigen::Index a = 0; a < l.weights.rows(); ++a)
            for (Eigen::Index b = 0; b < l.weights.cols(); ++b) l.weights(a, b) = r.f32();
        l.bias.resize(rows);
        for (Eigen::Index a = 0; a < l.bias.size(); ++a) l.bias(a) = r.f32();
        m.layers.push_back(std::move(l));
    }
    const std::uint32_t n_classes = r.u32();
    if (n_classes > 100000) throw std::runtime_error("model file has a bad class count");
    for (std::uint32_t i = 0; i < n_classes; ++i) m.classes.push_back(r.str(4096));
    m.metadata = r.str(std::size_t(1) << 24);
    if (r.pos != bytes.size() - 8) throw std::runtime_error("model file has trailing bytes");
    m.validate();
    return m;
}

void mlp::save(const std::string& path) const {
    const std::vector<std::uint8_t> bytes = serialize();
    const std::filesystem::path p(path);
    if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
    write_atomic(p, std::string(bytes.begin(), bytes.end()));
}

mlp mlp::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("'" + path + "': cannot open the model file");
    std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    try {
        return deserialize(bytes);
    } catch (const std::runtime_error& e) {
        throw std::runtime_error("'" + path + "': " + e.what());
    }
}

std::string mlp::id() const {
    const std::vector<std::uint8_t> b = serialize();
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a(b.data(), b.size())));
    return hex;
}

bool operator==(const mlp& a, const mlp& b) { return a.serialize() == b.serialize(); }

int predicted_class(const mlp& model, const Eigen::Ref<const Eigen::RowVectorXf>& row) {
    if (model.output == output_kind::sigmoid) return row(0) >= 0.5f ? 1 : 0;
    Eigen::Index k = 0;
    row.maxCoeff(&k);
    return int(k);
}

}  // namespace pixlime::app

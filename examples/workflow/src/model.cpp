#include "model.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
#include <random>
#include <stdexcept>

namespace wf {

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

Eigen::MatrixXf relu(const Eigen::MatrixXf& z) { return z.cwiseMax(0.0f); }

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

void check_valid(const mlp& m) {
    if (m.shape.width < 1 || m.shape.height < 1 || m.shape.channels < 1 || m.shape.width > 4096 ||
        m.shape.height > 4096 || m.shape.channels > 4)
        throw std::runtime_error("model has a bad input shape");
    if (m.layers.empty()) throw std::runtime_error("model has no layer");
    Eigen::Index in = m.shape.size();
    for (const auto& l : m.layers) {
        if (l.weights.cols() != in || l.weights.rows() < 1 || l.bias.size() != l.weights.rows())
            throw std::runtime_error("model layers do not chain");
        in = l.weights.rows();
    }
    if (m.output == output_kind::softmax && std::size_t(in) != m.classes.size())
        throw std::runtime_error("softmax model: outputs and class names differ in number");
    if (m.output == output_kind::sigmoid && (in != 1 || m.classes.size() != 2))
        throw std::runtime_error("sigmoid model: expected one output and two class names");
}

}  // namespace

mlp mlp::make(const input_shape& shape, const std::vector<int>& hidden, int num_outputs, output_kind output,
              std::vector<std::string> classes, std::uint64_t seed) {
    mlp m;
    m.shape = shape;
    m.output = output;
    m.classes = std::move(classes);
    std::mt19937_64 rng(seed);
    int in = shape.size();
    std::vector<int> sizes = hidden;
    sizes.push_back(num_outputs);
    for (int out : sizes) {
        dense_layer l;
        const float limit = std::sqrt(6.0f / float(in));  // He-uniform, for ReLU
        std::uniform_real_distribution<float> u(-limit, limit);
        l.weights.resize(out, in);
        for (Eigen::Index i = 0; i < l.weights.size(); ++i) l.weights.data()[i] = u(rng);
        l.bias = Eigen::VectorXf::Zero(out);
        m.layers.push_back(std::move(l));
        in = out;
    }
    check_valid(m);
    return m;
}

Eigen::MatrixXf mlp::predict(const Eigen::Ref<const Eigen::MatrixXf>& x) const {
    if (x.rows() != shape.size())
        throw std::invalid_argument("model input has " + std::to_string(x.rows()) + " values per image, expected " +
                                    std::to_string(shape.size()));
    Eigen::MatrixXf a = x;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        Eigen::MatrixXf z = layers[i].weights * a;
        z.colwise() += layers[i].bias;
        if (i + 1 < layers.size()) {
            a = relu(z);
        } else {
            if (output == output_kind::softmax) softmax_columns(z);
            else sigmoid_inplace(z);
            a = std::move(z);
        }
    }
    return a.transpose();
}

Eigen::MatrixXf mlp::operator()(pixlime::batch_view<const float> batch) const {
    if (batch.width() != shape.width || batch.height() != shape.height || batch.channels() != shape.channels)
        throw std::invalid_argument("model expects " + std::to_string(shape.width) + "x" + std::to_string(shape.height) +
                                    "x" + std::to_string(shape.channels) + " images, got " +
                                    std::to_string(batch.width()) + "x" + std::to_string(batch.height()) + "x" +
                                    std::to_string(batch.channels()));
    Eigen::Map<const Eigen::MatrixXf> x(batch.data(), shape.size(), batch.size());
    return predict(x);
}

std::vector<std::uint8_t> mlp::serialize() const {
    check_valid(*this);
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
    if (bytes.size() < sizeof magic + 12 || !std::equal(std::begin(magic), std::end(magic), bytes.begin()))
        throw std::runtime_error("not a pixlime workflow model file (bad magic)");
    reader r{bytes, sizeof magic};
    const std::uint32_t version = r.u32();
    if (version != format_version)
        throw std::runtime_error("model file format version " + std::to_string(version) + " is not supported (this program reads version " +
                                 std::to_string(format_version) + ")");
    {
        reader tail{bytes, bytes.size() - 8};
        if (tail.u64() != fnv1a(bytes.data(), bytes.size() - 8))
            throw std::runtime_error("model file is corrupt (checksum mismatch)");
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
    check_valid(m);
    return m;
}

void mlp::save(const std::string& path) const {
    const std::vector<std::uint8_t> bytes = serialize();
    const std::filesystem::path p(path);
    if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
        if (!out) throw std::runtime_error("cannot write model file '" + tmp + "'");
    }
    std::filesystem::rename(tmp, path);
}

mlp mlp::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open model file '" + path + "'");
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

double accuracy(const mlp& model, const Eigen::Ref<const Eigen::MatrixXf>& x, const std::vector<int>& y) {
    if (x.cols() == 0) return 0.0;
    std::size_t correct = 0;
    const Eigen::Index chunk = 2048;
    for (Eigen::Index s = 0; s < x.cols(); s += chunk) {
        const Eigen::Index n = std::min(chunk, x.cols() - s);
        const Eigen::MatrixXf p = model.predict(x.middleCols(s, n));
        for (Eigen::Index i = 0; i < n; ++i)
            if (predicted_class(model, p.row(i)) == y[std::size_t(s + i)]) ++correct;
    }
    return double(correct) / double(x.cols());
}

namespace {

struct adam_state {
    Eigen::MatrixXf mw, vw;
    Eigen::VectorXf mb, vb;
};

}  // namespace

std::vector<epoch_report> train(mlp& model, const Eigen::Ref<const Eigen::MatrixXf>& x, const std::vector<int>& y,
                                const Eigen::Ref<const Eigen::MatrixXf>& xv, const std::vector<int>& yv,
                                const train_options& o, const std::function<void(const epoch_report&)>& on_epoch,
                                const std::function<void(int, int)>& on_batch) {
    check_valid(model);
    if (x.rows() != model.shape.size() || std::size_t(x.cols()) != y.size())
        throw std::invalid_argument("train: x must be input-size x N with N labels");
    if (o.batch_size < 1 || o.epochs < 0) throw std::invalid_argument("train: bad batch size or epochs");
    const int k = model.num_outputs();
    const bool sigmoid = model.output == output_kind::sigmoid;
    for (int label : y)
        if (label < 0 || label >= (sigmoid ? 2 : k)) throw std::invalid_argument("train: label out of range");

    const std::size_t n_layers = model.layers.size();
    std::vector<adam_state> st(n_layers);
    for (std::size_t l = 0; l < n_layers; ++l) {
        const auto& W = model.layers[l].weights;
        st[l].mw = st[l].vw = Eigen::MatrixXf::Zero(W.rows(), W.cols());
        st[l].mb = st[l].vb = Eigen::VectorXf::Zero(W.rows());
    }
    const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
    long step = 0;
    float lr = o.learning_rate;

    const int n = int(x.cols());
    std::vector<int> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(o.seed ^ 0x9e3779b97f4a7c15ull);
    std::vector<epoch_report> reports;
    const int batches = (n + o.batch_size - 1) / o.batch_size;

    std::vector<Eigen::MatrixXf> acts(n_layers + 1), zs(n_layers);
    Eigen::MatrixXf target;
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
        const auto t0 = std::chrono::steady_clock::now();
        std::shuffle(order.begin(), order.end(), rng);
        double loss_sum = 0;
        long correct = 0;
        for (int bi = 0; bi < batches; ++bi) {
            const int start = bi * o.batch_size;
            const int bs = std::min(o.batch_size, n - start);
            Eigen::MatrixXf& a0 = acts[0];
            a0.resize(x.rows(), bs);
            target = Eigen::MatrixXf::Zero(k, bs);
            for (int j = 0; j < bs; ++j) {
                const int idx = order[std::size_t(start + j)];
                a0.col(j) = x.col(idx);
                if (sigmoid) target(0, j) = float(y[std::size_t(idx)]);
                else target(y[std::size_t(idx)], j) = 1.0f;
            }
            // Forward.
            for (std::size_t l = 0; l < n_layers; ++l) {
                zs[l].noalias() = model.layers[l].weights * acts[l];
                zs[l].colwise() += model.layers[l].bias;
                if (l + 1 < n_layers) {
                    acts[l + 1] = relu(zs[l]);
                } else {
                    acts[l + 1] = zs[l];
                    if (sigmoid) sigmoid_inplace(acts[l + 1]);
                    else softmax_columns(acts[l + 1]);
                }
            }
            const Eigen::MatrixXf& p = acts[n_layers];
            for (int j = 0; j < bs; ++j) {
                const int label = y[std::size_t(order[std::size_t(start + j)])];
                if (sigmoid) {
                    const float q = std::clamp(p(0, j), 1e-7f, 1.0f - 1e-7f);
                    loss_sum -= label ? std::log(q) : std::log(1.0f - q);
                    correct += ((p(0, j) >= 0.5f) == (label == 1));
                } else {
                    loss_sum -= std::log(std::max(p(label, j), 1e-7f));
                    Eigen::Index arg = 0;
                    p.col(j).maxCoeff(&arg);
                    correct += (arg == label);
                }
            }
            // Backward: for softmax + cross-entropy and sigmoid + binary cross-entropy alike,
            // dLoss/dLogits = (p - target) / batch.
            Eigen::MatrixXf delta = (p - target) / float(bs);
            ++step;
            const float c1 = 1.0f - std::pow(b1, float(step)), c2 = 1.0f - std::pow(b2, float(step));
            for (std::size_t l = n_layers; l-- > 0;) {
                Eigen::MatrixXf gw;
                gw.noalias() = delta * acts[l].transpose();
                const Eigen::VectorXf gb = delta.rowwise().sum();
                if (l > 0) {
                    Eigen::MatrixXf back;
                    back.noalias() = model.layers[l].weights.transpose() * delta;
                    delta = back.cwiseProduct((zs[l - 1].array() > 0.0f).cast<float>().matrix());
                }
                adam_state& s = st[l];
                s.mw = b1 * s.mw + (1 - b1) * gw;
                s.vw = b2 * s.vw + (1 - b2) * gw.cwiseAbs2();
                s.mb = b1 * s.mb + (1 - b1) * gb;
                s.vb = b2 * s.vb + (1 - b2) * gb.cwiseAbs2();
                model.layers[l].weights.array() -=
                    lr * (s.mw.array() / c1) / ((s.vw.array() / c2).sqrt() + eps);
                model.layers[l].bias.array() -= lr * (s.mb.array() / c1) / ((s.vb.array() / c2).sqrt() + eps);
            }
            if (on_batch && (bi % 50 == 49 || bi + 1 == batches)) on_batch(bi + 1, batches);
        }
        lr *= o.lr_decay;
        epoch_report r;
        r.epoch = epoch;
        r.loss = loss_sum / n;
        r.train_accuracy = double(correct) / n;
        r.validation_accuracy = xv.cols() > 0 ? accuracy(model, xv, yv) : 0.0;
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        reports.push_back(r);
        if (on_epoch) on_epoch(r);
    }
    return reports;
}

}  // namespace wf

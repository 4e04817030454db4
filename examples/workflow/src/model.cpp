#include "model.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

namespace wf {

mlp make_mlp(const input_shape& shape, const std::vector<int>& hidden, int num_outputs, output_kind output,
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
    m.validate();
    return m;
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
    model.validate();
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

    Eigen::MatrixXf xb, target;
    mlp::forward_trace tr;  // tr.inputs[l]: layer l's input, tr.logits[l]: its pre-activation
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
        const auto t0 = std::chrono::steady_clock::now();
        std::shuffle(order.begin(), order.end(), rng);
        double loss_sum = 0;
        long correct = 0;
        for (int bi = 0; bi < batches; ++bi) {
            const int start = bi * o.batch_size;
            const int bs = std::min(o.batch_size, n - start);
            xb.resize(x.rows(), bs);
            target = Eigen::MatrixXf::Zero(k, bs);
            for (int j = 0; j < bs; ++j) {
                const int idx = order[std::size_t(start + j)];
                xb.col(j) = x.col(idx);
                if (sigmoid) target(0, j) = float(y[std::size_t(idx)]);
                else target(y[std::size_t(idx)], j) = 1.0f;
            }
            model.forward(xb, tr);
            const Eigen::MatrixXf& p = tr.output;
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
                gw.noalias() = delta * tr.inputs[l].transpose();
                const Eigen::VectorXf gb = delta.rowwise().sum();
                if (l > 0) {
                    Eigen::MatrixXf back;
                    back.noalias() = model.layers[l].weights.transpose() * delta;
                    delta = back.cwiseProduct((tr.logits[l - 1].array() > 0.0f).cast<float>().matrix());
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

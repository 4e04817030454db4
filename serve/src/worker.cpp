// The explanation workers (service.hpp): the database is the queue.
#include "service.hpp"
#include "store.hpp"

#include <pixlime_app/common.hpp>
#include <pixlime_app/record.hpp>

#include <pixlime/explain.hpp>
#include <pixlime/io.hpp>

#include <chrono>
#include <iostream>

namespace pixlime::serve {

namespace {

using clock_type = std::chrono::steady_clock;

struct claimed {
    std::string id, transaction, model;
    json settings;
};

/// Claims the oldest queued task of a model this process serves, or a running one whose lease
/// expired (its worker died), in one write transaction. A task claimed max_attempts times already
/// fails instead, with the reason: it stopped its workers that often.
std::optional<claimed> claim(service& s, const std::string& owner) {
    database& db = s.db();
    std::string in;
    for (std::size_t i = 0; i < s.models.size(); ++i) in += i ? ",?" : "?";
    write_transaction w(db);
    for (;;) {
        const std::int64_t now = now_ms();
        statement q = db.prepare("SELECT id, transaction_id, model, settings, attempts, last_error FROM tasks "
                                 "WHERE (status = 'queued' OR (status = 'running' AND lease_until < ?)) AND model IN (" +
                                 in + ") ORDER BY seq LIMIT 1");
        q.bind(1, now);
        int k = 2;
        for (const auto& m : s.models) q.bind(k++, m.first);
        if (!q.step()) {
            w.commit();
            return std::nullopt;
        }
        claimed c{q.text(0), q.text(1), q.text(2), json::parse(q.text(3))};
        const std::int64_t attempts = q.integer(4);
        const std::string last = q.is_null(5) ? "" : q.text(5);
        if (attempts >= s.config.max_attempts) {
            const std::string reason = "gave up after " + std::to_string(attempts) + " attempts: " +
                                       (last.empty() ? "its worker stopped before finishing each time (the lease expired)" : last);
            db.prepare("UPDATE tasks SET status = 'failed', error = ?, finished = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?")
                .bind(1, reason)
                .bind(2, now)
                .bind(3, c.id)
                .run();
            continue;
        }
        db.prepare("UPDATE tasks SET status = 'running', attempts = attempts + 1, lease_owner = ?, lease_until = ?, "
                   "started = coalesce(started, ?), samples = 0 WHERE id = ?")
            .bind(1, owner)
            .bind(2, now + s.config.lease_seconds * 1000)
            .bind(3, now)
            .bind(4, c.id)
            .run();
        w.commit();
        return c;
    }
}

enum class outcome { finished, failed, cancelled, released, lost };

struct stop_reason {
    bool stopping = false, deadline = false, cancelled = false, lost = false;
};

}  // namespace

worker_pool::worker_pool(service& s, int count) : s_(s) {
    for (int i = 0; i < count; ++i) threads_.emplace_back([this, i] { run(i); });
}

worker_pool::~worker_pool() { stop(); }

void worker_pool::notify() { cv_.notify_all(); }

void worker_pool::stop() {
    stop_ = true;
    cv_.notify_all();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
}

void worker_pool::run(int index) {
    const std::string owner = s_.process_id + "/w" + std::to_string(index);
    std::map<std::string, std::unique_ptr<served_model>> mine;  // this thread's own model instances
    while (!stop_) {
        std::optional<claimed> c;
        try {
            c = claim(s_, owner);
        } catch (const std::exception& e) {  // the database busy past its timeout: try again
            std::cerr << "pixlime serve: worker " << owner << ": " << e.what() << "\n";
        }
        if (!c) {
            std::unique_lock<std::mutex> lock(mu_);
            cv_.wait_for(lock, std::chrono::milliseconds(250));
            continue;
        }
        ++running_;
        database& db = s_.db();
        const auto t0 = clock_type::now();
        stop_reason why;
        std::string failure;
        try {
            auto& model = mine[c->model];
            if (!model) model = std::make_unique<served_model>(s_.models.at(c->model)->config());
            const model_config& cfg = model->config();
            std::string bytes;
            json metadata;
            {
                statement q = db.prepare("SELECT i.bytes, t.metadata FROM transactions t JOIN images i ON i.sha256 = t.image WHERE t.id = ?");
                q.bind(1, c->transaction);
                if (!q.step()) throw std::runtime_error("transaction " + c->transaction + " is not in the database");
                const std::vector<std::uint8_t> b = q.blob(0);
                bytes.assign(b.begin(), b.end());
                if (!q.is_null(1)) metadata = json::parse(q.text(1));
            }
            const pixlime::image<std::uint8_t> raw = decode_body(bytes, "image");
            if (cfg.resize == "none" && (raw.width() != cfg.shape.width || raw.height() != cfg.shape.height))
                throw std::runtime_error("the image is " + std::to_string(raw.width()) + "x" + std::to_string(raw.height()) +
                                         ", the model takes " + std::to_string(cfg.shape.width) + "x" + std::to_string(cfg.shape.height) +
                                         " (--resize none)");
            const pixlime::image<float> img = pixlime::app::standardize(raw, cfg.shape);
            json given = c->settings;
            given.erase("model_digest");
            const explainability e = explainability::defaults_for(cfg.shape).merged(given);
            pixlime::explain_options opt = pixlime::app::explain_options_for(e.settings);
            opt.model_input = cfg.input;
            const double load_ms = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
            auto last_write = clock_type::now();
            const auto deadline = t0 + std::chrono::milliseconds(std::int64_t(e.deadline_seconds * 1000));
            opt.progress = [&](int done, int of) {
                if (stop_) return !(why.stopping = true);
                if (clock_type::now() > deadline) return !(why.deadline = true);
                statement q = db.prepare("SELECT lease_owner, status, cancel FROM tasks WHERE id = ?");
                q.bind(1, c->id);
                if (!q.step() || q.is_null(0) || q.text(0) != owner || q.text(1) != "running") return !(why.lost = true);
                if (q.integer(2)) return !(why.cancelled = true);
                if (clock_type::now() - last_write > std::chrono::seconds(1)) {  // progress and the lease, once a second
                    last_write = clock_type::now();
                    db.prepare("UPDATE tasks SET lease_until = ?, samples = ?, samples_of = ? WHERE id = ? AND lease_owner = ?")
                        .bind(1, now_ms() + s_.config.lease_seconds * 1000)
                        .bind(2, done)
                        .bind(3, of)
                        .bind(4, c->id)
                        .bind(5, owner)
                        .run();
                    if (db.changes() == 0) return !(why.lost = true);
                }
                return true;
            };
            auto classify = [&](pixlime::batch_view<const float> b) -> Eigen::MatrixXf {
                s_.stats.model_calls += b.size();
                return model->classify(b);
            };
            const pixlime::explanation ex = pixlime::explain(img, classify, opt);

            pixlime::app::record_head head;
            head.fields["id"] = c->transaction;
            // The caller's metadata names the input file when it has one (the workflow's do).
            head.fields["input"] = metadata.is_object() && metadata.contains("input") && metadata["input"].is_string() ? metadata["input"] : json();
            head.fields["transaction_id"] = c->transaction;
            head.fields["task_id"] = c->id;
            if (metadata.is_object()) head.fields["metadata"] = metadata;
            head.model = cfg.name;
            head.settings = c->settings;
            for (const auto& [k, v] : cfg.preprocessing.items()) head.settings[k] = v;
            head.segmenter = e.settings.segmenter;
            head.classes = cfg.classes;
            head.num_features = e.settings.num_features;
            head.load_ms = load_ms;
            head.start = t0;
            std::vector<std::pair<int, pixlime::app::record_panes>> panes;
            for (int label : ex.labels()) panes.emplace_back(label, pixlime::app::render_record_panes(img.view(), ex, head, label));
            const int top = ex.top_labels().at(0);
            const pixlime::app::record_panes* top_panes = nullptr;
            for (const auto& p : panes)
                if (p.first == top) top_panes = &p.second;
            const json record = pixlime::app::explanation_record(ex, head, top_panes);
            std::vector<std::tuple<int, const char*, std::vector<std::uint8_t>>> pngs;
            for (const auto& [label, p] : panes) {
                pngs.emplace_back(label, "positive", pixlime::encode_png(p.positive.view()));
                pngs.emplace_back(label, "negative", pixlime::encode_png(p.negative.view()));
                pngs.emplace_back(label, "heatmap", pixlime::encode_png(p.heatmap.view()));
                pngs.emplace_back(label, "input", pixlime::encode_png(p.input.view()));
            }
            // The result and the finished state in one transaction, only while the lease is ours.
            write_transaction w(db);
            statement q = db.prepare("SELECT lease_owner, status FROM tasks WHERE id = ?");
            q.bind(1, c->id);
            if (!q.step() || q.is_null(0) || q.text(0) != owner || q.text(1) != "running") {
                why.lost = true;
            } else {
                db.prepare("DELETE FROM panes WHERE task = ?").bind(1, c->id).run();
                for (const auto& [label, kind, png] : pngs)
                    db.prepare("INSERT INTO panes(task, label, kind, png) VALUES(?,?,?,?)")
                        .bind(1, c->id)
                        .bind(2, label)
                        .bind(3, kind)
                        .bind_blob(4, png.data(), png.size())
                        .run();
                db.prepare("UPDATE tasks SET status = 'finished', record = ?, finished = ?, samples = ?, lease_owner = NULL, "
                           "lease_until = NULL, error = NULL, worker = ? WHERE id = ?")
                    .bind(1, record.dump())
                    .bind(2, now_ms())
                    .bind(3, ex.model_calls())
                    .bind(4, owner)
                    .bind(5, c->id)
                    .run();
                w.commit();
            }
        } catch (const pixlime::cancelled&) {
            // why says which: stopping, deadline, cancelled or the lease lost
        } catch (const std::exception& e) {
            failure = pixlime::app::describe(e);
        }
        try {
            const std::int64_t now = now_ms();
            if (why.lost) {
                // Another worker took the task over (this one was too slow to renew): its result counts.
            } else if (why.stopping) {
                // A clean stop: back to the queue, the attempt not counted.
                db.prepare("UPDATE tasks SET status = 'queued', lease_owner = NULL, lease_until = NULL, attempts = attempts - 1, samples = 0 "
                           "WHERE id = ? AND lease_owner = ?")
                    .bind(1, c->id)
                    .bind(2, owner)
                    .run();
            } else if (why.cancelled) {
                db.prepare("UPDATE tasks SET status = 'cancelled', finished = ?, lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?")
                    .bind(1, now)
                    .bind(2, c->id)
                    .bind(3, owner)
                    .run();
            } else if (why.deadline || !failure.empty()) {
                const std::string reason = why.deadline ? "deadline exceeded: the explanation took longer than its deadline_seconds" : failure;
                db.prepare("UPDATE tasks SET status = 'failed', error = ?, last_error = ?, finished = ?, lease_owner = NULL, lease_until = NULL "
                           "WHERE id = ? AND lease_owner = ?")
                    .bind(1, reason)
                    .bind(2, reason)
                    .bind(3, now)
                    .bind(4, c->id)
                    .bind(5, owner)
                    .run();
            }
        } catch (const std::exception& e) {
            std::cerr << "pixlime serve: worker " << owner << ": task " << c->id << ": " << e.what() << "\n";
        }
        s_.stats.explanation_ms += std::int64_t(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
        --running_;
    }
}

}  // namespace pixlime::serve

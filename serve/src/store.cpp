// The service's rows (store.hpp).
#include "store.hpp"

#include "sha256.hpp"

#include <pixlime_app/common.hpp>

#include <pixlime/error.hpp>
#include <pixlime/io.hpp>

#include <algorithm>
#include <cmath>

namespace pixlime::serve {

pixlime::image<std::uint8_t> decode_body(const std::string& bytes, const std::string& parameter) {
    if (bytes.empty()) throw api_error::invalid_image(parameter, parameter + ": the body is empty: expected an image");
    pixlime::load_options o;
    o.formats.pnm = true;  // binary PGM / PPM: what image/x-portable-anymap names
    try {
        return pixlime::decode_image(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), o);
    } catch (const pixlime::size_limit_error& e) {
        throw api_error::too_large(parameter, e.value(), e.expected());
    } catch (const pixlime::error& e) {
        throw api_error::invalid_image(parameter, parameter + ": " + e.what());
    }
}

std::string put_image(database& db, const std::string& bytes, const std::string& content_type, const pixlime::image<std::uint8_t>& img) {
    const std::string sha = sha256_hex(bytes);
    // The same bytes are stored once: a second predict of the image only references it.
    db.prepare("INSERT OR IGNORE INTO images(sha256, content_type, width, height, channels, bytes) VALUES(?,?,?,?,?,?)")
        .bind(1, sha)
        .bind(2, content_type)
        .bind(3, img.width())
        .bind(4, img.height())
        .bind(5, img.channels())
        .bind_blob(6, bytes.data(), bytes.size())
        .run();
    return sha;
}

void label_outputs(const model_config& m, new_transaction& t) {
    if (t.outputs.empty()) throw api_error::bad_request("outputs", "[]", "one or more numbers");
    if (t.outputs.size() == 1) {  // P(class 1) of a two-class model
        const double p = t.outputs[0];
        t.label_index = p >= 0.5 ? 1 : 0;
        t.probability = t.label_index == 1 ? p : 1 - p;
    } else {
        const auto it = std::max_element(t.outputs.begin(), t.outputs.end());
        t.label_index = int(it - t.outputs.begin());
        t.probability = *it;
    }
    t.label = m.class_name(t.label_index);
}

std::string new_transaction_id() { return "tx_" + random_hex(10); }

bool insert_transaction(database& db, const new_transaction& t) {
    {
        statement q = db.prepare("SELECT model, image FROM transactions WHERE id = ?");
        q.bind(1, t.id);
        if (q.step()) {
            if (q.text(0) == t.model && q.text(1) == t.image) return false;  // a retry of a logged transaction
            throw api_error::conflict(t.id_parameter, t.id, "an id not yet used for another image or model");
        }
    }
    json outputs = json::array();
    for (float v : t.outputs) outputs.push_back(double(v));
    db.prepare("INSERT INTO transactions(id, model, image, outputs, label, label_index, probability, latency_ms, created, source, metadata) "
               "VALUES(?,?,?,?,?,?,?,?,?,?,?)")
        .bind(1, t.id)
        .bind(2, t.model)
        .bind(3, t.image)
        .bind(4, outputs.dump())
        .bind(5, t.label)
        .bind(6, t.label_index)
        .bind(7, t.probability)
        .bind(8, t.latency_ms)
        .bind(9, now_ms())
        .bind(10, t.source)
        .bind(11, t.metadata.is_null() ? std::optional<std::string>{} : std::optional<std::string>{t.metadata.dump()})
        .run();
    return true;
}

namespace {

json nullable_time(statement& q, int col) { return q.is_null(col) ? json(nullptr) : json(pixlime::app::utc_time(q.integer(col))); }

}  // namespace

json transaction_json(database& db, const std::string& id) {
    statement q = db.prepare(
        "SELECT t.id, t.model, t.created, t.label, t.label_index, t.probability, t.outputs, t.latency_ms, t.source, t.metadata, "
        "i.sha256, i.width, i.height, i.content_type FROM transactions t JOIN images i ON i.sha256 = t.image WHERE t.id = ?");
    q.bind(1, id);
    if (!q.step()) throw api_error::not_found("transaction", id, "the id of a logged transaction");
    json j = {{"id", q.text(0)},
              {"model", q.text(1)},
              {"time", pixlime::app::utc_time(q.integer(2))},
              {"label", q.is_null(3) ? json(nullptr) : json(q.text(3))},
              {"label_index", q.is_null(4) ? json(nullptr) : json(q.integer(4))},
              {"probability", q.is_null(5) ? json(nullptr) : json(q.real(5))},
              {"outputs", json::parse(q.text(6))},
              {"latency_ms", q.is_null(7) ? json(nullptr) : json(q.real(7))},
              {"source", q.text(8)},
              {"metadata", q.is_null(9) ? json(nullptr) : json::parse(q.text(9))},
              {"image",
               {{"sha256", q.text(10)},
                {"width", q.integer(11)},
                {"height", q.integer(12)},
                {"content_type", q.text(13)},
                {"url", "/v1/transactions/" + id + "/image"}}}};
    json tasks = json::array();
    statement t = db.prepare("SELECT id, status FROM tasks WHERE transaction_id = ? ORDER BY seq DESC");
    t.bind(1, id);
    while (t.step()) tasks.push_back({{"id", t.text(0)}, {"status", t.text(1)}});
    j["explanations"] = tasks;
    return j;
}

json task_json(database& db, const std::string& id) {
    statement q = db.prepare(
        "SELECT id, transaction_id, model, status, samples, samples_of, attempts, error, settings, created, started, finished, record, "
        "worker FROM tasks WHERE id = ?");
    q.bind(1, id);
    if (!q.step()) throw api_error::not_found("explanation", id, "the id of an explanation task");
    json j = {{"id", q.text(0)},
              {"transaction_id", q.text(1)},
              {"model", q.text(2)},
              {"status", q.text(3)},
              {"progress", {{"samples", q.integer(4)}, {"of", q.integer(5)}}},
              {"attempts", q.integer(6)},
              {"error", q.is_null(7) ? json(nullptr) : json(q.text(7))},
              {"settings", json::parse(q.text(8))},
              {"created", nullable_time(q, 9)},
              {"started", nullable_time(q, 10)},
              {"finished", nullable_time(q, 11)},
              {"worker", q.is_null(13) ? json(nullptr) : json(q.text(13))}};
    json record = q.is_null(12) ? json(nullptr) : json::parse(q.text(12));
    j["timings_ms"] = record.is_object() && record.contains("timings_ms") ? record["timings_ms"] : json(nullptr);
    j["record"] = record;
    json panes = json::array();
    if (record.is_object()) {
        statement p = db.prepare("SELECT DISTINCT label FROM panes WHERE task = ? ORDER BY label");
        p.bind(1, id);
        while (p.step()) {
            const std::int64_t label = p.integer(0);
            std::string name = std::to_string(label);
            for (const auto& l : record.value("labels", json::array()))
                if (l.value("label", -1) == label) name = l.value("name", name);
            const std::string base = "/v1/explanations/" + id + "/panes/" + std::to_string(label) + "/";
            panes.push_back({{"label", label},
                             {"name", name},
                             {"positive", base + "positive.png"},
                             {"negative", base + "negative.png"},
                             {"heatmap", base + "heatmap.png"},
                             {"input", base + "input.png"}});
        }
    }
    j["panes"] = panes;
    return j;
}

explainability model_explainability(database& db, const std::string& model) {
    statement q = db.prepare("SELECT explainability, config FROM models WHERE name = ?");
    q.bind(1, model);
    if (!q.step()) throw api_error::not_found("model", model, "the name of a deployed model");
    const model_config c = model_config::from_json(json::parse(q.text(1)));
    return explainability::defaults_for(c.shape).merged(json::parse(q.text(0)));
}

void register_model(database& db, const model_config& m) {
    write_transaction w(db);
    db.prepare("INSERT INTO models(name, file, backend, digest, config, explainability, updated) VALUES(?,?,?,?,?,'{}',?) "
               "ON CONFLICT(name) DO UPDATE SET file = excluded.file, backend = excluded.backend, digest = excluded.digest, "
               "config = excluded.config, updated = excluded.updated")
        .bind(1, m.name)
        .bind(2, m.file)
        .bind(3, m.backend)
        .bind(4, m.digest)
        .bind(5, m.to_json().dump())
        .bind(6, now_ms())
        .run();
    w.commit();
}

std::vector<model_config> registered_models(database& db) {
    std::vector<model_config> v;
    statement q = db.prepare("SELECT config FROM models ORDER BY name");
    while (q.step()) v.push_back(model_config::from_json(json::parse(q.text(0))));
    return v;
}

int queue_depth(database& db) {
    statement q = db.prepare("SELECT count(*) FROM tasks WHERE status = 'queued'");
    q.step();
    return int(q.integer(0));
}

std::vector<std::string> queue_explanations(database& db, const std::vector<std::string>& transactions, const json& overrides,
                                            int max_queue) {
    if (transactions.empty()) throw api_error::bad_request("transactions", "[]", "one or more transaction ids");
    write_transaction w(db);
    int depth = queue_depth(db);
    std::vector<std::string> ids;
    for (const std::string& tx : transactions) {
        check_id("transactions[]", tx);
        statement q = db.prepare("SELECT model FROM transactions WHERE id = ?");
        q.bind(1, tx);
        if (!q.step()) throw api_error::not_found("transactions[]", tx, "the id of a logged transaction");
        const std::string model = q.text(0);
        explainability e = model_explainability(db, model);
        if (!e.enabled)
            throw api_error::conflict("explainability", model, "explainability enabled for the model (PUT /v1/models/" + model + "/explainability)");
        if (!overrides.is_null()) {
            if (overrides.is_object() && overrides.contains("enabled"))
                throw api_error::invalid_setting("overrides.enabled", overrides["enabled"].dump(), "not an override", "enabled is a model setting");
            e = e.merged(overrides);
        }
        statement d = db.prepare("SELECT digest FROM models WHERE name = ?");
        d.bind(1, model);
        d.step();
        json settings = e.to_json();
        settings.erase("enabled");
        settings["model_digest"] = d.text(0);
        // The same transaction with the same settings and model is the same task: a cache.
        const std::string key = sha256_hex(nlohmann::json(settings).dump());
        statement f = db.prepare("SELECT id, status FROM tasks WHERE transaction_id = ? AND settings_key = ?");
        f.bind(1, tx).bind(2, key);
        if (f.step()) {
            const std::string id = f.text(0), status = f.text(1);
            if (status == "failed" || status == "cancelled") {  // asked again: queued again
                if (depth >= max_queue) throw api_error::queue_full(depth, max_queue);
                db.prepare("UPDATE tasks SET status = 'queued', attempts = 0, error = NULL, last_error = NULL, cancel = 0, samples = 0, "
                           "lease_owner = NULL, lease_until = NULL, started = NULL, finished = NULL, created = ? WHERE id = ?")
                    .bind(1, now_ms())
                    .bind(2, id)
                    .run();
                ++depth;
            }
            ids.push_back(id);
            continue;
        }
        if (depth >= max_queue) throw api_error::queue_full(depth, max_queue);
        const std::string id = "ex_" + random_hex(10);
        db.prepare("INSERT INTO tasks(id, transaction_id, model, settings, settings_key, status, samples_of, created) "
                   "VALUES(?,?,?,?,?,'queued',?,?)")
            .bind(1, id)
            .bind(2, tx)
            .bind(3, model)
            .bind(4, settings.dump())
            .bind(5, key)
            .bind(6, e.settings.num_samples)
            .bind(7, now_ms())
            .run();
        ++depth;
        ids.push_back(id);
    }
    w.commit();
    return ids;
}

bool cancel_task(database& db, const std::string& id) {
    write_transaction w(db);
    statement q = db.prepare("SELECT status FROM tasks WHERE id = ?");
    q.bind(1, id);
    if (!q.step()) throw api_error::not_found("explanation", id, "the id of an explanation task");
    const std::string status = q.text(0);
    bool changed = false;
    if (status == "queued") {
        db.prepare("UPDATE tasks SET status = 'cancelled', finished = ? WHERE id = ?").bind(1, now_ms()).bind(2, id).run();
        changed = true;
    } else if (status == "running") {
        db.prepare("UPDATE tasks SET cancel = 1 WHERE id = ?").bind(1, id).run();
        changed = true;
    }
    w.commit();
    return changed;
}

}  // namespace pixlime::serve

// XEP-0060 §16.4 node configuration: one table of fields drives storage, the form, submitted
// forms and preconditions, so a field is added in one place.
#include "modules/pubsub/node_config.h"

#include <charconv>
#include <functional>

#include "base/encoding.h"
#include "stanza/namespaces.h"

namespace chorus::modules::pubsub {
namespace {

using Values = std::vector<std::string>;

bool parse_bool(std::string_view v, bool& out)
{
    if (v == "1" || v == "true") {
        out = true;
        return true;
    }
    if (v == "0" || v == "false") {
        out = false;
        return true;
    }
    return false;
}

const char* bool_text(bool b)
{
    return b ? "1" : "0";
}

template <typename E, std::size_t N>
bool parse_enum(std::string_view v, const std::pair<E, std::string_view> (&names)[N], E& out)
{
    for (const auto& [value, name] : names) {
        if (name == v) {
            out = value;
            return true;
        }
    }
    return false;
}

template <typename E, std::size_t N>
std::string enum_text(E value, const std::pair<E, std::string_view> (&names)[N])
{
    for (const auto& [v, name] : names) {
        if (v == value) {
            return std::string(name);
        }
    }
    return {};
}

constexpr std::pair<AccessModel, std::string_view> access_names[] = {
    {AccessModel::open, "open"},
    {AccessModel::presence, "presence"},
    {AccessModel::roster, "roster"},
    {AccessModel::whitelist, "whitelist"},
};
constexpr std::pair<PublishModel, std::string_view> publish_names[] = {
    {PublishModel::publishers, "publishers"},
    {PublishModel::subscribers, "subscribers"},
    {PublishModel::open, "open"},
};
constexpr std::pair<SendLast, std::string_view> send_last_names[] = {
    {SendLast::never, "never"},
    {SendLast::on_sub, "on_sub"},
    {SendLast::on_sub_and_presence, "on_sub_and_presence"},
};

struct Field {
    std::string_view var;
    std::string_view type;  // XEP-0004 field type
    std::string_view label;
    std::function<Values(const NodeConfig&)> get;
    /// False when the values are not acceptable.
    std::function<bool(const Values&, NodeConfig&, const Limits&)> set;
    std::vector<std::string_view> options;  // list-single choices
};

bool one(const Values& v)
{
    return v.size() == 1;
}

Field bool_field(std::string_view var, std::string_view label, bool NodeConfig::*member)
{
    return {var,
            "boolean",
            label,
            [member](const NodeConfig& c) { return Values{bool_text(c.*member)}; },
            [member](const Values& v, NodeConfig& c, const Limits&) {
                return one(v) && parse_bool(v[0], c.*member);
            },
            {}};
}

Field text_field(std::string_view var, std::string_view label, std::string NodeConfig::*member)
{
    return {var,
            "text-single",
            label,
            [member](const NodeConfig& c) { return Values{c.*member}; },
            [member](const Values& v, NodeConfig& c, const Limits&) {
                c.*member = v.empty() ? std::string() : v[0];
                return v.size() <= 1;
            },
            {}};
}

template <typename E, std::size_t N>
Field enum_field(std::string_view var, std::string_view label, E NodeConfig::*member,
                 const std::pair<E, std::string_view> (&names)[N])
{
    std::vector<std::string_view> options;
    for (const auto& [value, name] : names) {
        options.push_back(name);
    }
    return {var,
            "list-single",
            label,
            [member, &names](const NodeConfig& c) { return Values{enum_text(c.*member, names)}; },
            [member, &names](const Values& v, NodeConfig& c, const Limits&) {
                return one(v) && parse_enum(v[0], names, c.*member);
            },
            std::move(options)};
}

const std::vector<Field>& fields()
{
    static const std::vector<Field> table = {
        {"pubsub#max_items",
         "text-single",
         "Max # of items to persist ('max' for the most allowed)",
         [](const NodeConfig& c) {
             return Values{c.max_is_max ? std::string("max") : std::to_string(c.max_items)};
         },
         [](const Values& v, NodeConfig& c, const Limits& limits) {
             if (!one(v)) {
                 return false;
             }
             if (v[0] == "max") {
                 c.max_is_max = true;
                 return true;
             }
             std::size_t n = 0;
             const auto* end = v[0].data() + v[0].size();
             auto [p, ec] = std::from_chars(v[0].data(), end, n);
             if (ec != std::errc() || p != end || n == 0 || n > limits.max_items) {
                 return false;
             }
             c.max_items = n;
             c.max_is_max = false;
             return true;
         },
         {}},
        enum_field("pubsub#access_model", "Who may subscribe and retrieve items",
                   &NodeConfig::access_model, access_names),
        enum_field("pubsub#publish_model", "Who may publish", &NodeConfig::publish_model,
                   publish_names),
        bool_field("pubsub#persist_items", "Persist items to storage", &NodeConfig::persist_items),
        bool_field("pubsub#deliver_payloads", "Deliver payloads with event notifications",
                   &NodeConfig::deliver_payloads),
        bool_field("pubsub#deliver_notifications", "Deliver event notifications",
                   &NodeConfig::deliver_notifications),
        bool_field("pubsub#notify_retract", "Notify subscribers when items are removed",
                   &NodeConfig::notify_retract),
        bool_field("pubsub#notify_delete", "Notify subscribers when the node is deleted",
                   &NodeConfig::notify_delete),
        bool_field("pubsub#notify_config", "Notify subscribers when the configuration changes",
                   &NodeConfig::notify_config),
        enum_field("pubsub#send_last_published_item", "When to send the last published item",
                   &NodeConfig::send_last, send_last_names),
        {"pubsub#roster_groups_allowed",
         "list-multi",
         "Roster groups allowed to subscribe",
         [](const NodeConfig& c) { return c.roster_groups_allowed; },
         [](const Values& v, NodeConfig& c, const Limits&) {
             c.roster_groups_allowed = v;
             return true;
         },
         {}},
        text_field("pubsub#title", "A friendly name for the node", &NodeConfig::title),
        text_field("pubsub#type", "The type of node data", &NodeConfig::type),
    };
    return table;
}

const Field* find_field(std::string_view var)
{
    for (const auto& f : fields()) {
        if (f.var == var) {
            return &f;
        }
    }
    return nullptr;
}

Values values_of(const xml::Element& field)
{
    Values out;
    for (const auto& n : field.nodes()) {
        if (n.is("value", ns::data_forms)) {
            out.push_back(n.text());
        }
    }
    return out;
}

}  // namespace

std::string_view access_model_name(AccessModel m) noexcept
{
    for (const auto& [value, name] : access_names) {
        if (value == m) {
            return name;
        }
    }
    return {};
}

std::string serialize_config(const NodeConfig& config)
{
    std::string out;
    for (const auto& f : fields()) {
        for (const auto& v : f.get(config)) {
            out += f.var;
            out += '=';
            append_escaped_line(v, out);  // a stored value is one line
            out += '\n';
        }
    }
    return out;
}

NodeConfig parse_config(std::string_view text)
{
    // Gather each var's values first: list-multi fields take several lines.
    std::vector<std::pair<std::string, Values>> by_var;
    while (!text.empty()) {
        const auto eol = text.find('\n');
        const auto line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) {
            continue;
        }
        const auto var = line.substr(0, eq);
        auto it = std::find_if(by_var.begin(), by_var.end(),
                               [&](const auto& p) { return p.first == var; });
        if (it == by_var.end()) {
            by_var.emplace_back(std::string(var), Values{});
            it = by_var.end() - 1;
        }
        it->second.push_back(unescape_line(line.substr(eq + 1)));
    }
    NodeConfig config;
    const Limits generous{.max_items = static_cast<std::size_t>(-1)};
    for (const auto& [var, values] : by_var) {
        if (const Field* f = find_field(var)) {
            NodeConfig attempt = config;
            if (f->set(values, attempt, generous)) {
                config = attempt;
            }
        }
    }
    return config;
}

xml::Element config_form(const NodeConfig& config, const Limits& limits)
{
    xml::Element x("x", std::string(ns::data_forms));
    x.set_attr("type", "form");
    auto& form_type = x.add_child("field", std::string(ns::data_forms));
    form_type.set_attr("var", "FORM_TYPE").set_attr("type", "hidden");
    form_type.add_child("value", std::string(ns::data_forms)).add_text(ns::pubsub_node_config);
    for (const auto& f : fields()) {
        auto& field = x.add_child("field", std::string(ns::data_forms));
        field.set_attr("var", f.var).set_attr("type", f.type).set_attr("label", f.label);
        for (const auto& o : f.options) {
            field.add_child("option", std::string(ns::data_forms))
                .add_child("value", std::string(ns::data_forms))
                .add_text(o);
        }
        for (const auto& v : f.get(config)) {
            field.add_child("value", std::string(ns::data_forms)).add_text(v);
        }
    }
    (void)limits;
    return x;
}

std::optional<StanzaError> apply_form(const xml::Element& form, NodeConfig& config,
                                      const Limits& limits)
{
    NodeConfig next = config;
    for (const auto& field : form.nodes()) {
        if (!field.is("field", ns::data_forms)) {
            continue;
        }
        const Field* f = find_field(field.attr("var"));
        if (f && !f->set(values_of(field), next, limits)) {
            return StanzaError::not_acceptable("Unacceptable value for " +
                                               std::string(field.attr("var")));
        }
    }
    config = next;
    return std::nullopt;
}

bool preconditions_hold(const xml::Element& form, const NodeConfig& config, const Limits& limits)
{
    for (const auto& field : form.nodes()) {
        if (!field.is("field", ns::data_forms)) {
            continue;
        }
        const Field* f = find_field(field.attr("var"));
        if (!f) {
            continue;
        }
        NodeConfig wanted = config;
        if (!f->set(values_of(field), wanted, limits)) {
            return false;
        }
        // 'max' and the number it stands for are the same precondition.
        if (f->var == "pubsub#max_items") {
            if (wanted.item_limit(limits) != config.item_limit(limits)) {
                return false;
            }
            continue;
        }
        if (!(wanted == config)) {
            return false;
        }
    }
    return true;
}

}  // namespace chorus::modules::pubsub

// Element tree operations.
#include "xml/element.h"

#include <algorithm>
#include <utility>

namespace chorus::xml {

Element Element::text_node(std::string text)
{
    Element e;
    e.ns_ = std::move(text);
    return e;
}

std::string_view Element::attr(std::string_view name) const noexcept
{
    for (const auto& a : attrs_) {
        if (a.name == name) {
            return a.value;
        }
    }
    return {};
}

bool Element::has_attr(std::string_view name) const noexcept
{
    return std::any_of(attrs_.begin(), attrs_.end(), [&](const auto& a) { return a.name == name; });
}

Element& Element::set_attr(std::string_view name, std::string_view value)
{
    for (auto& a : attrs_) {
        if (a.name == name) {
            a.value.assign(value);
            return *this;
        }
    }
    attrs_.push_back({std::string(name), std::string(value)});
    return *this;
}

void Element::remove_attr(std::string_view name)
{
    std::erase_if(attrs_, [&](const auto& a) { return a.name == name; });
}

const Element* Element::child(std::string_view name, std::string_view ns) const noexcept
{
    for (const auto& c : children_) {
        if (!c.is_text() && (name.empty() || c.name_ == name) && c.ns_ == ns) {
            return &c;
        }
    }
    return nullptr;
}

Element* Element::child(std::string_view name, std::string_view ns) noexcept
{
    return const_cast<Element*>(std::as_const(*this).child(name, ns));
}

const Element* Element::child_in(std::string_view ns) const noexcept { return child({}, ns); }

std::size_t Element::element_count() const noexcept
{
    return static_cast<std::size_t>(
        std::count_if(children_.begin(), children_.end(), [](const auto& c) { return !c.is_text(); }));
}

const Element* Element::first_element() const noexcept
{
    for (const auto& c : children_) {
        if (!c.is_text()) {
            return &c;
        }
    }
    return nullptr;
}

Element& Element::add_child(Element child)
{
    children_.push_back(std::move(child));
    return children_.back();
}

Element& Element::add_child(std::string name, std::string ns)
{
    return add_child(Element(std::move(name), std::move(ns)));
}

Element& Element::add_text(std::string_view text)
{
    if (!children_.empty() && children_.back().is_text()) {
        children_.back().ns_.append(text);
    } else {
        children_.push_back(text_node(std::string(text)));
    }
    return *this;
}

std::size_t Element::remove_children(std::string_view name, std::string_view ns)
{
    return std::erase_if(children_, [&](const auto& c) { return !c.is_text() && c.is(name, ns); });
}

std::string Element::text() const
{
    if (is_text()) {
        return ns_;
    }
    std::string out;
    for (const auto& c : children_) {
        if (c.is_text()) {
            out += c.ns_;
        }
    }
    return out;
}

std::string Element::child_text(std::string_view name, std::string_view ns) const
{
    const Element* c = child(name, ns);
    return c ? c->text() : std::string();
}

}  // namespace chorus::xml

// Element: an XML element tree for one stanza (RFC 6120 §4.9 stanzas are small trees).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace chorus::xml {

/// One attribute. Unqualified names are plain ("to"); xml:lang is "xml:lang"; other
/// namespaced attributes are "uri|local" (expat's form) and get a prefix when serialized.
struct Attribute {
    std::string name;
    std::string value;
};

/// An element, or a text node when name() is empty (then text() is its content).
class Element {
public:
    Element() = default;
    Element(std::string name, std::string ns) : name_(std::move(name)), ns_(std::move(ns)) {}
    static Element text_node(std::string text);

    const std::string& name() const noexcept { return name_; }
    const std::string& ns() const noexcept { return ns_; }
    void set_ns(std::string ns) { ns_ = std::move(ns); }
    bool is_text() const noexcept { return name_.empty(); }
    /// A text node's content, borrowed.
    std::string_view content() const noexcept { return ns_; }
    bool is(std::string_view name, std::string_view ns) const noexcept
    {
        return name_ == name && ns_ == ns;
    }

    /// The attribute's value, or empty when absent.
    std::string_view attr(std::string_view name) const noexcept;
    bool has_attr(std::string_view name) const noexcept;
    /// Sets or replaces; returns *this for chaining.
    Element& set_attr(std::string_view name, std::string_view value);
    void remove_attr(std::string_view name);
    const std::vector<Attribute>& attrs() const noexcept { return attrs_; }
    std::vector<Attribute>& attrs() noexcept { return attrs_; }

    /// All child nodes, text nodes included.
    const std::vector<Element>& nodes() const noexcept { return children_; }
    std::vector<Element>& nodes() noexcept { return children_; }
    /// First child element with this name and namespace (any name when name is empty).
    const Element* child(std::string_view name, std::string_view ns) const noexcept;
    Element* child(std::string_view name, std::string_view ns) noexcept;
    /// First child element in namespace ns, whatever its name.
    const Element* child_in(std::string_view ns) const noexcept;
    /// Number of child elements (text nodes not counted).
    std::size_t element_count() const noexcept;
    /// The first child element, or nullptr.
    const Element* first_element() const noexcept;

    Element& add_child(Element child);
    Element& add_child(std::string name, std::string ns);
    Element& add_text(std::string_view text);
    /// Removes every child element with this name and namespace; returns how many.
    std::size_t remove_children(std::string_view name, std::string_view ns);

    /// Concatenated direct text content (text of a text node itself).
    std::string text() const;
    /// Text of the first child element name/ns, or empty.
    std::string child_text(std::string_view name, std::string_view ns) const;

private:
    std::string name_;
    std::string ns_;  // for a text node: its text
    std::vector<Attribute> attrs_;
    std::vector<Element> children_;
};

}  // namespace chorus::xml

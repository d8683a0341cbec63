// Reply: one parsed RESP2/RESP3 value (a scalar, or a tree of aggregates),
// owning its bytes in a single heap block.
//
// A Reply is produced by RespReader. All of its strings are views into one
// buffer the Reply owns; aggregates are stored as a flat array of fixed-size
// nodes in the same block. A Reply with no string (an integer, a null, a
// boolean, a double) allocates nothing; every other Reply allocates exactly
// one block, whatever its element count, except a lone string of at most 16
// bytes ("OK", a short value), which is kept inside the Reply object. Moving
// a Reply copies 48 bytes.
//
// Sub-elements are reached through ReplyView, a small non-owning handle. A
// view is valid while its Reply is alive and stays at the same address:
// moving the Reply invalidates views taken from it.
//
//   valkey::RespReader reader;
//   reader.Feed("*2\r\n$3\r\nfoo\r\n:42\r\n");
//   absl::StatusOr<std::optional<valkey::Reply>> r = reader.Next();
//   if (r.ok() && r->has_value()) {
//     const valkey::Reply& reply = **r;
//     reply.size();             // 2
//     reply[0].str();           // "foo"
//     reply[1].integer();       // 42
//     for (valkey::ReplyView e : reply) { ... }
//   }
//
// Accessors never allocate and never fail: asking a value for something its
// type does not have returns an empty/zero result (str() of an integer is "",
// integer() of a string is 0, size() of a scalar is 0, an out-of-range index
// yields a null view). Hostile server input therefore cannot make a caller
// read out of bounds through this API.
//
// Thread-safety: a Reply and its views are immutable after construction;
// concurrent reads from several threads are safe.

#ifndef VALKEY_COMMON_REPLY_H_
#define VALKEY_COMMON_REPLY_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace valkey {

// The RESP type of a value. Both RESP2 nulls ("$-1", "*-1") and the RESP3
// null ("_") are kNull.
enum class ReplyType : uint8_t {
  kNull = 0,      // '_', "$-1", "*-1"
  kSimpleString,  // '+'
  kError,         // '-'
  kInteger,       // ':'
  kBulkString,    // '$'
  kArray,         // '*'
  kMap,           // '%'
  kSet,           // '~'
  kDouble,        // ','
  kBoolean,       // '#'
  kBigNumber,     // '('
  kVerbatim,      // '='
  kPush,          // '>'
  kBlobError,     // '!'
};

// "null", "simple-string", "error", "integer", "bulk-string", "array", "map",
// "set", "double", "boolean", "big-number", "verbatim", "push", "blob-error".
absl::string_view ReplyTypeName(ReplyType type);

namespace reply_internal {

// One value in a reply tree; 16 bytes. Stored in pre-order: an aggregate is
// followed by its children, each followed by its own descendants.
//   strings:    size = byte length, payload = byte offset into the bytes
//   aggregates: size = entries (pairs for a map), payload = index one past
//               the aggregate's last descendant
//   integer:    payload = the value (two's complement)
//   double:     payload = the bits of the value
//   boolean:    payload = 0 or 1
struct Node {
  ReplyType type;
  uint8_t unused[3];
  uint32_t size;
  uint64_t payload;
};
static_assert(sizeof(Node) == 16, "Node must stay compact");

}  // namespace reply_internal

class Reply;
class ReplyPairIterator;

// A non-owning handle to one value inside a Reply. Cheap to copy (three
// pointers). Valid as long as the owning Reply is alive and not moved.
class ReplyView {
 public:
  using Node = reply_internal::Node;

  // Iterates over the children of an aggregate in order (for a map: key,
  // value, key, value, ...). Each step is O(1).
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = ReplyView;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = ReplyView;

    Iterator() = default;
    ReplyView operator*() const { return ReplyView(node_, base_, bytes_); }
    Iterator& operator++() {
      node_ = NextSibling(node_, base_);
      return *this;
    }
    Iterator operator++(int) {
      Iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) {
      return a.node_ == b.node_;
    }
    friend bool operator!=(const Iterator& a, const Iterator& b) {
      return a.node_ != b.node_;
    }

   private:
    friend class ReplyView;
    Iterator(const Node* node, const Node* base, const char* bytes)
        : node_(node), base_(base), bytes_(bytes) {}
    const Node* node_ = nullptr;
    const Node* base_ = nullptr;
    const char* bytes_ = nullptr;
  };

  // A map's entries as (key, value) pairs; see pairs().
  class PairRange;

  // A null view (type kNull).
  ReplyView() : node_(&kNullNode), base_(&kNullNode), bytes_(nullptr) {}

  ReplyType type() const { return node_->type; }

  // kNull (RESP3 '_' or RESP2 "$-1" / "*-1").
  bool is_null() const { return node_->type == ReplyType::kNull; }
  // kError or kBlobError.
  bool is_error() const {
    return node_->type == ReplyType::kError ||
           node_->type == ReplyType::kBlobError;
  }
  // kPush: an out-of-band message (pub/sub, invalidation), not the reply to a
  // command.
  bool is_push() const { return node_->type == ReplyType::kPush; }
  // kArray, kMap, kSet or kPush.
  bool is_aggregate() const { return IsAggregate(node_->type); }
  // A type whose value is bytes: kSimpleString, kError, kBulkString,
  // kBigNumber, kVerbatim, kBlobError.
  bool is_string() const { return IsString(node_->type); }

  // The bytes of a string-typed value: the text of a simple string or error,
  // a bulk string, a blob error, a big number's digits, or a verbatim
  // string's text (without its "txt:" prefix). Empty for other types.
  absl::string_view str() const {
    if (!is_string()) return absl::string_view();
    return absl::string_view(bytes_ + node_->payload, node_->size);
  }

  // A verbatim string's three-byte format ("txt", "mkd"); empty otherwise.
  absl::string_view verbatim_format() const {
    if (node_->type != ReplyType::kVerbatim) return absl::string_view();
    return absl::string_view(bytes_ + node_->payload - 4, 3);
  }

  // The value of a kInteger; 0 otherwise.
  int64_t integer() const {
    return node_->type == ReplyType::kInteger
               ? static_cast<int64_t>(node_->payload)
               : 0;
  }

  // The value of a kDouble (may be ±inf or NaN); 0.0 otherwise.
  double dbl() const {
    if (node_->type != ReplyType::kDouble) return 0.0;
    double d;
    std::memcpy(&d, &node_->payload, sizeof d);
    return d;
  }

  // The value of a kBoolean; false otherwise.
  bool boolean() const {
    return node_->type == ReplyType::kBoolean && node_->payload != 0;
  }

  // Number of entries of an aggregate: elements of an array, set or push;
  // pairs of a map. 0 for scalars.
  size_t size() const { return is_aggregate() ? node_->size : 0; }
  bool empty() const { return size() == 0; }

  // Number of children: size(), except 2 * size() for a map.
  size_t num_children() const {
    if (!is_aggregate()) return 0;
    return node_->type == ReplyType::kMap ? 2 * size_t{node_->size}
                                          : node_->size;
  }

  // The i-th child (for a map, children alternate key and value). A null view
  // if i >= num_children(). O(1) when no child is itself an aggregate,
  // otherwise O(i): to visit all elements of a nested reply, iterate.
  ReplyView child(size_t i) const;

  // The i-th element of an array, set or push; the same as child(i).
  ReplyView operator[](size_t i) const { return child(i); }

  // The i-th key / value of a map (child(2i) / child(2i+1)).
  ReplyView key(size_t i) const { return child(2 * i); }
  ReplyView value(size_t i) const { return child(2 * i + 1); }

  // Iteration over children: `for (ReplyView e : view) ...`.
  Iterator begin() const {
    return Iterator(node_ + 1, base_, bytes_);  // == end() for scalars
  }
  Iterator end() const {
    return Iterator(NextSibling(node_, base_), base_, bytes_);
  }

  // A map's entries as (key, value) pairs:
  //   for (auto [k, v] : reply.pairs()) ...
  // Also works on arrays (pairs of consecutive elements, as RESP2 sends
  // HGETALL); a trailing odd element is skipped.
  PairRange pairs() const;

  // For an error reply, valkey::ServerError(str()) (its code follows the
  // error's prefix, see errors.h); OK for every other type.
  absl::Status ToStatus() const;

  // A readable one-line rendering for tests and logs, e.g.
  //   [1, "foo", {"k": 2.5}, nil, true, (error) ERR x, push["message"]]
  // Bytes outside printable ASCII are C-escaped. Not a stable format.
  std::string DebugString() const;

 private:
  friend class Reply;
  ReplyView(const Node* node, const Node* base, const char* bytes)
      : node_(node), base_(base), bytes_(bytes) {}

  static bool IsAggregate(ReplyType t) {
    return t == ReplyType::kArray || t == ReplyType::kMap ||
           t == ReplyType::kSet || t == ReplyType::kPush;
  }
  static bool IsString(ReplyType t) {
    return t == ReplyType::kSimpleString || t == ReplyType::kError ||
           t == ReplyType::kBulkString || t == ReplyType::kBigNumber ||
           t == ReplyType::kVerbatim || t == ReplyType::kBlobError;
  }
  static const Node* NextSibling(const Node* n, const Node* base) {
    return IsAggregate(n->type) ? base + n->payload : n + 1;
  }
  void AppendDebugString(std::string& out) const;

  static const Node kNullNode;

  const Node* node_;
  const Node* base_;  // nodes[0]; aggregate payloads index from here
  const char* bytes_;
};

class ReplyView::PairRange {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::pair<ReplyView, ReplyView>;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = value_type;

    Iterator() = default;
    value_type operator*() const {
      ReplyView::Iterator v = it_;
      ++v;
      return {*it_, *v};
    }
    Iterator& operator++() {
      ++it_;
      ++it_;
      --left_;
      return *this;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) {
      return a.left_ == b.left_;
    }
    friend bool operator!=(const Iterator& a, const Iterator& b) {
      return a.left_ != b.left_;
    }

   private:
    friend class PairRange;
    Iterator(ReplyView::Iterator it, size_t left) : it_(it), left_(left) {}
    ReplyView::Iterator it_;
    size_t left_ = 0;  // pairs still to visit
  };

  Iterator begin() const { return Iterator(view_.begin(), count_); }
  Iterator end() const { return Iterator(ReplyView::Iterator(), 0); }
  size_t size() const { return count_; }

 private:
  friend class ReplyView;
  explicit PairRange(ReplyView v) : view_(v), count_(v.num_children() / 2) {}
  ReplyView view_;
  size_t count_;
};

inline ReplyView::PairRange ReplyView::pairs() const {
  return PairRange(*this);
}

// An owned reply: the root value and the storage every view into it uses.
// Default-constructed: a null reply. Move-only (use Clone() to copy).
class Reply {
 public:
  using Node = reply_internal::Node;

  Reply() : root_{ReplyType::kNull, {}, 0, 0} {}
  // A moved-from Reply is a null reply again (and owns no storage), so it
  // can be reused — e.g. as the target of the next RespReader::Read.
  Reply(Reply&& other) noexcept { *this = std::move(other); }
  Reply& operator=(Reply&& other) noexcept {
    if (this != &other) {
      root_ = other.root_;
      num_nodes_ = other.num_nodes_;
      storage_units_ = other.storage_units_;
      storage_ = std::move(other.storage_);
      std::memcpy(inline_bytes_, other.inline_bytes_, kInlineBytes);
      other.root_ = Node{ReplyType::kNull, {}, 0, 0};
      other.num_nodes_ = 1;
      other.storage_units_ = 0;
    }
    return *this;
  }
  Reply(const Reply&) = delete;
  Reply& operator=(const Reply&) = delete;
  ~Reply() = default;

  // A deep copy (one allocation, as for the original; none for a short
  // scalar kept inline, which is copied here without a call).
  Reply Clone() const {
    if (storage_units_ != 0) return CloneStorage();
    Reply copy;
    copy.root_ = root_;
    copy.num_nodes_ = num_nodes_;
    std::memcpy(copy.inline_bytes_, inline_bytes_, kInlineBytes);
    return copy;
  }

  // Converts to a Clone() of `reply`: for in-place construction
  // (absl::StatusOr's absl::in_place, std::optional's std::in_place), where
  // the compiler may build the clone in its final place (GCC does; others
  // may move it once, as Clone() would). Holds a reference: use it at once.
  struct CloneOf {
    const Reply& reply;
    operator Reply() const { return reply.Clone(); }  // NOLINT: implicit.
  };

  // The root value; valid until this Reply is destroyed or moved.
  ReplyView view() const {
    const Node* nodes = num_nodes_ > 1 ? storage_.get() : &root_;
    const char* bytes =
        storage_ != nullptr
            ? reinterpret_cast<const char*>(storage_.get() +
                                            (num_nodes_ > 1 ? num_nodes_ : 0))
            : inline_bytes_;
    return ReplyView(nodes, nodes, bytes);
  }

  // Shorthands for view().<accessor>; see ReplyView.
  ReplyType type() const { return view().type(); }
  bool is_null() const { return view().is_null(); }
  bool is_error() const { return view().is_error(); }
  bool is_push() const { return view().is_push(); }
  bool is_aggregate() const { return view().is_aggregate(); }
  bool is_string() const { return view().is_string(); }
  absl::string_view str() const { return view().str(); }
  absl::string_view verbatim_format() const {
    return view().verbatim_format();
  }
  int64_t integer() const { return view().integer(); }
  double dbl() const { return view().dbl(); }
  bool boolean() const { return view().boolean(); }
  size_t size() const { return view().size(); }
  bool empty() const { return view().empty(); }
  size_t num_children() const { return view().num_children(); }
  ReplyView child(size_t i) const { return view().child(i); }
  ReplyView operator[](size_t i) const { return view().child(i); }
  ReplyView key(size_t i) const { return view().key(i); }
  ReplyView value(size_t i) const { return view().value(i); }
  ReplyView::Iterator begin() const { return view().begin(); }
  ReplyView::Iterator end() const { return view().end(); }
  ReplyView::PairRange pairs() const { return view().pairs(); }
  absl::Status ToStatus() const { return view().ToStatus(); }
  std::string DebugString() const { return view().DebugString(); }

  // Number of nodes in the tree (1 for a scalar); for tests and metrics.
  size_t num_nodes() const { return num_nodes_; }
  // Bytes of heap storage this reply owns (its strings and, for an
  // aggregate, 16 bytes per value); 0 for a short scalar kept inline. A
  // Clone() allocates the same amount. The client-side cache charges it.
  size_t storage_bytes() const { return storage_units_ * sizeof(Node); }

 private:
  friend class RespReader;

  // Clone() of a reply that owns storage.
  Reply CloneStorage() const;

  // Storage units of 16 bytes able to hold `bytes` bytes.
  static size_t UnitsFor(size_t bytes) {
    return (bytes + sizeof(Node) - 1) / sizeof(Node);
  }

  // Used when num_nodes_ == 1; otherwise the nodes live in storage_.
  Node root_;
  uint32_t num_nodes_ = 1;
  uint32_t storage_units_ = 0;  // size of storage_ in Nodes
  // [nodes (when num_nodes_ > 1)][bytes], one allocation. Node is trivial,
  // so new Node[n] does not initialise anything.
  std::unique_ptr<Node[]> storage_;
  // The string of a scalar reply of at most kInlineBytes ("OK", "QUEUED", a
  // short bulk) lives here when storage_ is null: no allocation at all.
  static constexpr size_t kInlineBytes = 16;
  char inline_bytes_[kInlineBytes] = {};
};

}  // namespace valkey

#endif  // VALKEY_COMMON_REPLY_H_

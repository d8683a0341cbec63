// RingQueue<T>: a FIFO queue in one circular array that only grows — the
// async connection's queues of commands waiting to be written and awaiting
// their replies.
//
//   RingQueue<Pending> q;
//   q.push_back(p);             // allocates only when full (doubling)
//   Pending& oldest = q.front();
//   q.pop_front();              // the slot is reset to T(), kept
//   Pending next = q.take_front();  // moved out, the slot not reset
//
// Why not std::deque: libstdc++'s deque allocates and frees a 512-byte
// block every few elements as the queue moves through memory, so a steady
// stream of commands costs an allocation every ~5 commands even when the
// queue's length never changes. A ring of power-of-two capacity reaches
// the largest length seen once and then never allocates again.
//
// Popped and cleared slots are assigned T() so that what they held (a
// shared_ptr, say) is released at once, as a deque would; take_front()
// moves the element out instead, which leaves nothing to release for
// types like shared_ptr.
//
// Iteration (begin/end, operator[]) goes oldest to newest. push_back may
// reallocate and invalidates references and iterators; pop_front
// invalidates those to the popped element only.
//
// Thread-safety: none (a plain container).

#ifndef VALKEY_ASYNC_RING_QUEUE_H_
#define VALKEY_ASYNC_RING_QUEUE_H_

#include <cstddef>
#include <iterator>
#include <memory>
#include <utility>

namespace valkey::async {

template <typename T>
class RingQueue {
 public:
  RingQueue() = default;
  RingQueue(RingQueue&& other) noexcept { swap(other); }
  RingQueue& operator=(RingQueue&& other) noexcept {
    RingQueue(std::move(other)).swap(*this);
    return *this;
  }
  RingQueue(const RingQueue&) = delete;
  RingQueue& operator=(const RingQueue&) = delete;

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }

  T& front() { return slots_[head_]; }
  const T& front() const { return slots_[head_]; }
  T& operator[](size_t i) { return slots_[(head_ + i) & (capacity_ - 1)]; }
  const T& operator[](size_t i) const {
    return slots_[(head_ + i) & (capacity_ - 1)];
  }

  void push_back(const T& value) {
    if (size_ == capacity_) Grow();
    slots_[(head_ + size_) & (capacity_ - 1)] = value;
    ++size_;
  }
  void push_back(T&& value) {
    if (size_ == capacity_) Grow();
    slots_[(head_ + size_) & (capacity_ - 1)] = std::move(value);
    ++size_;
  }

  // Precondition: !empty().
  void pop_front() {
    slots_[head_] = T();
    head_ = (head_ + 1) & (capacity_ - 1);
    --size_;
  }

  // Removes the oldest element and returns it, moved out. The slot keeps
  // the moved-from value (no reset): for types whose move leaves nothing
  // behind (a moved-from shared_ptr is null) this is pop_front without the
  // cost of assigning T(). Precondition: !empty().
  T take_front() {
    T out = std::move(slots_[head_]);
    head_ = (head_ + 1) & (capacity_ - 1);
    --size_;
    return out;
  }

  // Empties the queue and keeps its capacity.
  void clear() {
    for (size_t i = 0; i < size_; ++i) (*this)[i] = T();
    head_ = 0;
    size_ = 0;
  }

  void swap(RingQueue& other) noexcept {
    std::swap(slots_, other.slots_);
    std::swap(capacity_, other.capacity_);
    std::swap(head_, other.head_);
    std::swap(size_, other.size_);
  }

  template <typename Q, typename V>
  class Iter {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = V*;
    using reference = V&;

    Iter() = default;
    Iter(Q* q, size_t i) : q_(q), i_(i) {}
    V& operator*() const { return (*q_)[i_]; }
    V* operator->() const { return &(*q_)[i_]; }
    Iter& operator++() {
      ++i_;
      return *this;
    }
    Iter operator++(int) {
      Iter old = *this;
      ++i_;
      return old;
    }
    bool operator==(const Iter& o) const { return i_ == o.i_; }
    bool operator!=(const Iter& o) const { return i_ != o.i_; }

   private:
    Q* q_ = nullptr;
    size_t i_ = 0;
  };
  using iterator = Iter<RingQueue, T>;
  using const_iterator = Iter<const RingQueue, const T>;

  iterator begin() { return iterator(this, 0); }
  iterator end() { return iterator(this, size_); }
  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, size_); }

 private:
  static constexpr size_t kMinCapacity = 16;

  void Grow() {
    const size_t capacity = capacity_ == 0 ? kMinCapacity : capacity_ * 2;
    std::unique_ptr<T[]> slots(new T[capacity]);
    for (size_t i = 0; i < size_; ++i) slots[i] = std::move((*this)[i]);
    slots_ = std::move(slots);
    capacity_ = capacity;
    head_ = 0;
  }

  std::unique_ptr<T[]> slots_;
  size_t capacity_ = 0;  // 0 or a power of two.
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace valkey::async

#endif  // VALKEY_ASYNC_RING_QUEUE_H_

// ReadGate: lets a store that falls behind stop the server from reading new stanzas.
// When clients send faster than, say, the archive writer commits, its queue would grow
// without bound; holding reads instead keeps memory bounded and makes the clients wait,
// as TCP would for any slow server.
#pragma once

#include <functional>
#include <utility>
#include <vector>

namespace chorus {

class ReadGate {
public:
    bool is_open() const noexcept { return holds_ == 0; }
    void hold() noexcept { ++holds_; }
    /// Reopens once every hold is released; the waiting readers resume in order.
    void release()
    {
        if (holds_ > 0 && --holds_ == 0) {
            auto resume = std::move(waiting_);
            waiting_.clear();
            for (auto& r : resume) {
                r();
            }
        }
    }
    /// Called instead of reading while the gate is held.
    void wait(std::function<void()> resume) { waiting_.push_back(std::move(resume)); }
    std::size_t waiting() const noexcept { return waiting_.size(); }

private:
    int holds_ = 0;
    std::vector<std::function<void()>> waiting_;
};

}  // namespace chorus

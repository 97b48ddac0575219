import ArgumentParser

extension String {
    /// Pads with spaces on the left (right-aligns) to `width` characters.
    func rightAligned(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

import Synchronization

/// The digests APK Signature Schemes v2 and v3 sign: of the APK's three signed sections (the ZIP entries before
/// the APK Signing Block, the central directory, and the End of Central Directory with its central directory
/// offset pointing at the signing block), computed as Android computes them.
///
/// - Chunked SHA-256 / SHA-512: each section is cut in 1 MiB chunks; a chunk's digest is H(0xa5 ‖ u32 length ‖
///   bytes), the content digest H(0x5a ‖ u32 chunk count ‖ chunk digests). The chunks are independent, so they
///   are hashed on every core, each worker reading its own chunks with `pread`: memory stays a buffer per worker
///   and a digest per MiB, whatever the APK's size.
/// - Verity: the root of an fs-verity Merkle tree over 4 KiB pages (each hashed as SHA-256(8 zero bytes ‖ page),
///   the last page zero-padded; every level padded to whole pages until one page remains), then the length.
struct ContentDigests {
    static let chunkSize = 1 << 20
    static let pageSize = 4096

    let layout: APKLayout
    let file: OpenFile

    /// The three sections as one logical byte range: `[0, signingBlockOffset)` and the central directory from the
    /// file, then the modified EOCD from memory.
    private var beforeBlock: Int64 { layout.signingBlockOffset }
    private var logicalSize: Int64 { beforeBlock + layout.centralDirectorySize + Int64(layout.eocd.count) }

    /// Reads logical bytes `[offset, offset + buffer.count)` (which must lie within the sections).
    private func read(_ offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws(APKSignatureFailure) {
        let eocd = layout.eocdForDigests
        var done = 0
        while done < buffer.count {
            let position = offset + Int64(done)
            let want = buffer.count - done
            if position < beforeBlock + layout.centralDirectorySize {
                // The first two sections: file offsets skip the signing block.
                let sectionEnd = position < beforeBlock ? beforeBlock : beforeBlock + layout.centralDirectorySize
                let fileOffset =
                    position < beforeBlock ? position : layout.centralDirectoryOffset + (position - beforeBlock)
                let count = Int(min(Int64(want), sectionEnd - position))
                let n: Int
                do {
                    n = try file.read(
                        fromAbsoluteOffset: layout.offset + fileOffset,
                        into: UnsafeMutableRawBufferPointer(rebasing: buffer[done..<(done + count)]))
                } catch {
                    throw .malformed("the APK could not be read: \(error.message)")
                }
                guard n > 0 else { throw .malformed("the APK ends before its central directory") }
                done += n
            } else {
                let start = Int(position - beforeBlock - layout.centralDirectorySize)
                let count = min(want, eocd.count - start)
                guard count > 0 else { throw .malformed("a digest read past the End of Central Directory") }
                eocd.withUnsafeBytes { source in
                    UnsafeMutableRawBufferPointer(rebasing: buffer[done..<(done + count)]).copyMemory(
                        from: UnsafeRawBufferPointer(rebasing: source[start..<(start + count)]))
                }
                done += count
            }
        }
    }

    /// The chunked content digests for `algorithms` (SHA-256 and/or SHA-512), in one pass over the APK.
    func chunked(_ algorithms: [DigestAlgorithm], workers: Int) throws(APKSignatureFailure) -> [DigestAlgorithm:
        [UInt8]]
    {
        guard !algorithms.isEmpty else { return [:] }
        // Chunks never span two sections.
        var chunks: [(offset: Int64, length: Int)] = []
        var sectionStart: Int64 = 0
        for sectionLength in [beforeBlock, layout.centralDirectorySize, Int64(layout.eocd.count)] {
            var offset: Int64 = 0
            while offset < sectionLength {
                let length = Int(min(Int64(Self.chunkSize), sectionLength - offset))
                chunks.append((sectionStart + offset, length))
                offset += Int64(length)
            }
            sectionStart += sectionLength
        }
        let sizes = algorithms.map { Digest.hash($0, []).count }
        let stride = sizes.reduce(0, +)
        let digests = UnsafeMutableRawBufferPointer.allocate(byteCount: chunks.count * stride, alignment: 8)
        defer { digests.deallocate() }
        let output = UncheckedSendable(digests)
        let failure = Mutex<APKSignatureFailure?>(nil)
        let count = max(1, min(workers, chunks.count))
        let shared = UncheckedSendable((self, chunks))
        WorkerThreads.run(count: count) { worker in
            let (digester, chunks) = shared.value
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 16)
            defer { buffer.deallocate() }
            var index = worker
            while index < chunks.count {
                let chunk = chunks[index]
                let data = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<chunk.length])
                do throws(APKSignatureFailure) {
                    try digester.read(chunk.offset, into: data)
                } catch {
                    failure.withLock { $0 = $0 ?? error }
                    return
                }
                var at = index * stride
                for algorithm in algorithms {
                    var context = Digest(algorithm)
                    context.update([0xa5] + le32Bytes(UInt32(chunk.length)))
                    context.update(UnsafeRawBufferPointer(data))
                    let value = context.finalize()
                    value.withUnsafeBytes {
                        UnsafeMutableRawBufferPointer(rebasing: output.value[at..<(at + value.count)]).copyMemory(
                            from: $0)
                    }
                    at += value.count
                }
                if failure.withLock({ $0 != nil }) { return }
                index += count
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        var result: [DigestAlgorithm: [UInt8]] = [:]
        var column = 0
        for (slot, algorithm) in algorithms.enumerated() {
            var top = Digest(algorithm)
            top.update([0x5a] + le32Bytes(UInt32(chunks.count)))
            for index in chunks.indices {
                let at = index * stride + column
                top.update(UnsafeRawBufferPointer(rebasing: digests[at..<(at + sizes[slot])]))
            }
            result[algorithm] = top.finalize()
            column += sizes[slot]
        }
        return result
    }

    /// The verity content digest: the Merkle root, then the signed sections' total length (u64).
    func verity(workers: Int) throws(APKSignatureFailure) -> [UInt8] {
        guard beforeBlock % Int64(Self.pageSize) == 0 else {
            throw APKSignatureFailure(
                .digestMismatch,
                "a verity digest needs the APK Signing Block at a 4 KiB boundary; it starts at \(beforeBlock)")
        }
        let pages = Int((logicalSize + Int64(Self.pageSize) - 1) / Int64(Self.pageSize))
        var level = [UInt8](repeating: 0, count: pages * 32)
        let failure = Mutex<APKSignatureFailure?>(nil)
        let count = max(1, min(workers, pages))
        level.withUnsafeMutableBytes { levelBytes in
            let output = UncheckedSendable(levelBytes)
            let shared = UncheckedSendable(self)
            let total = logicalSize
            WorkerThreads.run(count: count) { worker in
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.pageSize, alignment: 16)
                defer { buffer.deallocate() }
                var digest = Digest(.sha256)
                var page = worker
                while page < pages {
                    let offset = Int64(page) * Int64(Self.pageSize)
                    let length = Int(min(Int64(Self.pageSize), total - offset))
                    buffer.initializeMemory(as: UInt8.self, repeating: 0)
                    do throws(APKSignatureFailure) {
                        try shared.value.read(offset, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length]))
                    } catch {
                        failure.withLock { $0 = $0 ?? error }
                        return
                    }
                    digest.update(Self.salt)
                    digest.update(UnsafeRawBufferPointer(buffer))
                    let value = digest.finalize()
                    value.withUnsafeBytes {
                        UnsafeMutableRawBufferPointer(rebasing: output.value[(page * 32)..<(page * 32 + 32)])
                            .copyMemory(from: $0)
                    }
                    page += count
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        // Upper levels: each level's bytes padded to whole pages, hashed page by page, until one page is left.
        while level.count > Self.pageSize {
            level += [UInt8](repeating: 0, count: (Self.pageSize - level.count % Self.pageSize) % Self.pageSize)
            var next: [UInt8] = []
            next.reserveCapacity(level.count / Self.pageSize * 32)
            var digest = Digest(.sha256)
            var at = 0
            while at < level.count {
                digest.update(Self.salt)
                level.withUnsafeBytes { digest.update(UnsafeRawBufferPointer(rebasing: $0[at..<(at + Self.pageSize)])) }
                next += digest.finalize()
                at += Self.pageSize
            }
            level = next
        }
        level += [UInt8](repeating: 0, count: Self.pageSize - level.count)
        let root = Digest.hash(.sha256, Self.salt + level)
        return root + le64Bytes(UInt64(logicalSize))
    }

    /// apksig's and Android's verity salt: eight zero bytes.
    private static let salt = [UInt8](repeating: 0, count: 8)
}

func le32Bytes(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
func le64Bytes(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

import Glibc
import PhonePackCore
import Synchronization

extension ObjectTransfer {
    /// Downloads `key` to `destination` in parallel ranges, resumable, then checks CRC-64 (OSS), the ETag when it
    /// is a plain MD5, and the stored SHA-256 (or `settings.sha256`), and only then renames into place.
    public func download(_ key: String, to destination: String) throws(PhonePackError) -> TransferSummary {
        let directory = parentDirectory(destination)
        guard let folder = try FileStatus.ifExists(directory), folder.isDirectory else {
            throw PhonePackError(
                .notFound, operation: "download", path: destination,
                message: "its folder \(directory) does not exist; create it first")
        }
        return try download(key, into: Folder.open(directory), name: lastPathComponent(destination))
    }

    /// Downloads `key` as `name` in `folder`: every file operation relative to the open folder (the partial file
    /// created there exclusively, renamed there), so nothing done to the path meanwhile can move the write.
    public func download(_ key: String, into folder: Folder, name: String) throws(PhonePackError) -> TransferSummary {
        do {
            return try download(key, into: folder, name: name, oneStream: false)
        } catch  where error.isRangeNotHonored {
            notice?("the server ignores Range requests; downloading in one stream")
            return try download(key, into: folder, name: name, oneStream: true)
        }
    }

    private func download(_ key: String, into folder: Folder, name: String, oneStream: Bool) throws(PhonePackError)
        -> TransferSummary
    {
        let destination = joinPath(folder.path, name)
        let started = CloudTime.monotonicMilliseconds()
        let info = try store.head(key)
        let size = info.size
        progress.total.store(size, ordering: .relaxed)
        let rangeSize =
            oneStream ? max(size, 1) : try PartSizing.choose(size: max(size, 1), requested: settings.partSize)
        let count = max(1, Int((size + rangeSize - 1) / rangeSize))
        if let existing = try folder.status(of: name), existing.isDirectory {
            throw PhonePackError(
                .invalidInput, operation: "download", path: destination,
                message: "is a folder; give a file name such as \(joinPath(destination, lastPathComponent(key)))")
        }
        let partialName = ".\(name).phonepack-partial"
        let partialPath = joinPath(folder.path, partialName)
        let absolute = destination.hasPrefix("/") ? destination : joinPath(currentDirectory(), destination)
        let journal = TransferJournal<DownloadJournalHeader, DownloadedRange>(
            directory: settings.stateDirectory,
            identity: "download|\(endpointName)|\(store.bucket)|\(key)|\(absolute)")
        let header = DownloadJournalHeader(
            endpoint: endpointName, bucket: store.bucket, key: key, etag: info.etag ?? "", size: size,
            rangeSize: rangeSize, partialFile: partialPath)
        var finished: [Int: UInt64] = [:]
        var resumed: OpenFile?
        if let (old, entries) = journal.load(), try folder.status(of: partialName) != nil {
            if old == header {
                // The journal says which ranges were done; the bytes on disk must still say so too. Each range is
                // read back and kept only when its CRC-64 is the one journaled when it was written.
                let file = try folder.reopenOwn(partialName)
                let journaled = Dictionary(entries.map { ($0.index, $0.crc64) }, uniquingKeysWith: { $1 })
                var changed = 0
                for (index, crc) in journaled where index >= 0 && index < count {
                    let offset = Int64(index) * rangeSize
                    let onDisk = try RangeDigests.compute(
                        file: file, offset: offset, length: min(rangeSize, size - offset), md5: false, crc64: true)
                    if onDisk.crc64 == crc { finished[index] = crc } else { changed += 1 }
                }
                if changed > 0 {
                    notice?("\(changed) finished ranges of \(partialPath) changed on disk; downloading them again")
                }
                notice?("resuming download: \(finished.count) of \(count) ranges already here")
                resumed = file
            } else {
                notice?(
                    "\(store.url(key)) changed since the interrupted download (or the range size did); starting over"
                )
            }
        }
        let output: OpenFile
        if let resumed {
            output = resumed
        } else {
            // A new partial file: an old one (ours, or one someone planted in a shared folder) is removed first,
            // and the new one is created exclusively, so nobody else's file ever receives the data.
            try folder.remove(partialName)
            try requireFreeSpace(size, in: folder, for: destination)
            try journal.start(header)
            output = try folder.createExclusive(partialName)
        }
        guard ftruncate(output.descriptor, off_t(size)) == 0 else {
            throw .system("ftruncate", errno: errno, path: partialPath, operation: "size the download")
        }
        progress.done.store(Int64(finished.count) * rangeSize, ordering: .relaxed)

        let pending = (0..<count).filter { finished[$0] == nil }
        let crcs = Mutex(finished)
        let progress = self.progress
        let outputBox = UncheckedSendable(output)
        let journalBox = UncheckedSendable(journal)
        let etag = info.etag
        // Only OSS reports a CRC-64 of the whole object to compare with; every range's CRC-64 is journaled anyway,
        // so that a resume can tell whether the bytes on disk are still the ones received.
        let wantCRC = info.crc64 != nil
        let outcome = forEachInParallel(pending) { (client, index) throws(PhonePackError) in
            let offset = Int64(index) * rangeSize
            let length = min(rangeSize, size - offset)
            var crc = CRC64()
            var received: Int64 = 0
            do throws(PhonePackError) {
                if length > 0 {
                    let range = count == 1 && offset == 0 ? nil : offset...(offset + length - 1)
                    try client.get(key, range: range, ifMatch: etag) { (bytes, position) throws(PhonePackError) in
                        if position == 0 {
                            crc = CRC64()
                            progress.done.subtract(received, ordering: .relaxed)
                            received = 0
                        }
                        guard position + Int64(bytes.count) <= length else {
                            throw PhonePackError(
                                .service, operation: "download", path: key,
                                message: "the server sent more bytes than asked for",
                                cause: RangeNotHonored(status: 200))
                        }
                        try outputBox.value.writeAll(bytes, atAbsoluteOffset: offset + position)
                        crc.update(bytes)
                        received += Int64(bytes.count)
                        progress.add(Int64(bytes.count))
                    }
                    guard received == length else {
                        throw PhonePackError(
                            .network, operation: "download", path: key,
                            message: "range \(index) ended after \(received) of \(length) bytes")
                    }
                }
                let value = crc.value
                // Durable before journaled: a range the journal calls done survives a crash.
                guard fdatasync(outputBox.value.descriptor) == 0 else {
                    throw .system("fdatasync", errno: errno, path: partialPath, operation: "write the download")
                }
                try crcs.withLock { (crcs) throws(PhonePackError) in
                    crcs[index] = value
                    try journalBox.value.append(DownloadedRange(index: index, crc64: value))
                }
            } catch {
                progress.done.subtract(received, ordering: .relaxed)
                throw error
            }
        }
        if var failure = outcome.failure {
            if failure.isRangeNotHonored {
                journal.remove()
                throw failure
            }
            if failure.code == .io {
                // Disk full and the like: the partial file only takes space the user needs back.
                try? folder.remove(partialName)
                journal.remove()
            } else {
                failure.message += "; run the same command again to resume"
            }
            throw failure
        }
        var summary = TransferSummary(
            operation: "download", source: store.url(key), destination: destination, bytes: size,
            seconds: 0, mibPerSecond: 0, multipart: count > 1, parts: count, resumedParts: finished.count,
            retries: outcome.retries, etag: ETagCoding.encode(info.etag), crc64: nil, sha256: nil)
        let rangeCRCs = crcs.withLock { $0 }
        let crc = (1..<count).reduce(rangeCRCs[0] ?? 0) { total, index in
            CRC64.combine(total, rangeCRCs[index]!, secondLength: min(rangeSize, size - Int64(index) * rangeSize))
        }
        if wantCRC { summary.crc64 = String(crc) }
        let fail = { (message: String) -> PhonePackError in
            try? folder.remove(partialName)
            journal.remove()
            return PhonePackError(
                .checkFailed, operation: "check download", path: self.store.url(key),
                message: message + "; the partial file was deleted")
        }
        if wantCRC, let stored = info.crc64, stored != crc {
            throw fail("the bytes received have CRC-64 \(crc), the object's is \(stored)")
        }
        var wantedSHA = settings.sha256 ?? info.metadata["sha256"]
        if wantedSHA == nil { wantedSHA = try store.sidecarSHA256(of: key) }
        let wantedMD5 = info.etag.flatMap { ObjectStoreClient.plainMD5($0) }
        if wantedSHA != nil || wantedMD5 != nil {
            let sums = try RangeDigests.compute(
                file: output, offset: 0, length: size, md5: wantedMD5 != nil, sha256: wantedSHA != nil, crc64: false)
            let (md5, sha256) = (sums.md5?.hexString, sums.sha256?.hexString)
            if let wantedMD5, md5 != wantedMD5 {
                throw fail("the bytes received have MD5 \(md5 ?? ""), the object's ETag says \(wantedMD5)")
            }
            if let wantedSHA, sha256 != wantedSHA.lowercased() {
                throw fail("the bytes received have SHA-256 \(sha256 ?? ""), expected \(wantedSHA)")
            }
            summary.sha256 = sha256
        }
        guard fsync(output.descriptor) == 0 else {
            throw .system("fsync", errno: errno, path: partialPath, operation: "write the download")
        }
        try folder.rename(partialName, to: name)
        journal.remove()
        summary.seconds = Double(CloudTime.monotonicMilliseconds() - started) / 1000
        summary.mibPerSecond = summary.seconds > 0 ? Double(size) / 1_048_576 / summary.seconds : 0
        return summary
    }

    /// Refuses a download that cannot fit, before anything is written.
    private func requireFreeSpace(_ size: Int64, in folder: Folder, for destination: String) throws(PhonePackError) {
        guard let free = folder.freeBytes(), free < size else { return }
        throw PhonePackError(
            .io, operation: "download", path: destination,
            message:
                "needs \(formatBytes(size)) but \(folder.path) has \(formatBytes(free)) free; free space or choose another folder"
        )
    }
}

import Synchronization
import SystemBoundary

/// Writes captured MADs to a pcap/ERF file that Wireshark reads (see `CaptureFormat` for the layout).
///
/// The records go through an `AtomicFileWriter` (a temporary file next to `path`), which `close()` commits
/// over `path`: there is never a half-written file at `path`. `discard()`, a failed write, or dropping the
/// writer without closing it removes the temporary file.
///
/// Appends are thread-safe (a mutex) and buffered: records are encoded outside the lock and written in
/// chunks of about 4 MiB, so hundreds of thousands of MADs a second cost little.
public final class CaptureWriter: Sendable {
    private struct State: ~Copyable {
        var file: AtomicFileWriter
        var buffer: [UInt8]
        var records = 0
        var finished: Finish?
    }

    private enum Finish: Equatable { case closed, discarded, failed(CaptureError) }

    /// The file that `close()` creates or replaces.
    public let path: String
    /// The temporary file that holds the records until `close()`.
    public let temporaryPath: String
    private let state: Mutex<State>

    static let flushThreshold = 4 << 20

    /// Creates the temporary file and writes the pcap file header into the buffer.
    public init(path: String) throws(CaptureError) {
        self.path = path
        let file: AtomicFileWriter
        do { file = try AtomicFileWriter(path: path) } catch {
            throw CaptureError(source: path, problem: .cannotCreate(path: error.path, reason: error.reason))
        }
        temporaryPath = file.temporaryPath
        var buffer = [UInt8]()
        buffer.reserveCapacity(CaptureWriter.flushThreshold + CaptureFormat.fileRecordSize)
        buffer.append(contentsOf: CaptureFormat.fileHeader())
        state = Mutex(State(file: file, buffer: buffer))
    }

    deinit {
        discard()
    }

    /// How many records have been appended.
    public var recordCount: Int { state.withLock { $0.records } }

    /// Appends one MAD. Throws if the MAD is not 256 bytes, the timestamp does not fit pcap, the writer is
    /// closed or discarded, or writing fails (then the temporary file is removed and later calls fail too).
    public func append(_ captured: CapturedMAD) throws(CaptureError) {
        try validate(captured)
        try withUnsafeTemporaryAllocation(byteCount: CaptureFormat.fileRecordSize, alignment: 8) {
            (record: UnsafeMutableRawBufferPointer) throws(CaptureError) in
            CaptureFormat.encodeRecord(captured, into: record)
            try state.withLock { (state: inout State) throws(CaptureError) in
                try checkOpen(state)
                state.buffer.append(contentsOf: UnsafeRawBufferPointer(record))
                state.records += 1
                if state.buffer.count >= CaptureWriter.flushThreshold { try flush(&state) }
            }
        }
    }

    /// Appends several MADs in order, taking the lock once.
    public func append(contentsOf captured: [CapturedMAD]) throws(CaptureError) {
        for item in captured { try validate(item) }
        var encoded = [UInt8](repeating: 0, count: captured.count * CaptureFormat.fileRecordSize)
        encoded.withUnsafeMutableBytes { bytes in
            for (index, item) in captured.enumerated() {
                let start = index * CaptureFormat.fileRecordSize
                CaptureFormat.encodeRecord(
                    item, into: UnsafeMutableRawBufferPointer(rebasing: bytes[start..<(start + CaptureFormat.fileRecordSize)]))
            }
        }
        try state.withLock { (state: inout State) throws(CaptureError) in
            try checkOpen(state)
            state.buffer.append(contentsOf: encoded)
            state.records += captured.count
            if state.buffer.count >= CaptureWriter.flushThreshold { try flush(&state) }
        }
    }

    /// Writes what is buffered, syncs and renames the temporary file over `path`. Closing twice is harmless;
    /// closing a discarded or failed writer throws.
    public func close() throws(CaptureError) {
        try state.withLock { (state: inout State) throws(CaptureError) in
            if case .closed = state.finished { return }
            try checkOpen(state)
            try flush(&state)
            do throws(SystemError) { try state.file.commit() } catch {
                try fail(&state, error.operation.hasPrefix("rename") ? .cannotRename(to: path, reason: error.reason) : .cannotWrite(reason: error.reason))
            }
            state.finished = .closed
            state.buffer = []
        }
    }

    /// Drops everything appended and removes the temporary file; `path` is left as it was.
    /// Does nothing after a successful `close()`.
    public func discard() {
        state.withLock { state in
            if case .closed = state.finished { return }
            state.file.discard()
            if state.finished == nil { state.finished = .discarded }
            state.buffer = []
        }
    }

    // MARK: - Internals

    private func validate(_ captured: CapturedMAD) throws(CaptureError) {
        if captured.mad.count != CaptureFormat.madSize {
            throw CaptureError(source: path, problem: .wrongMADSize(captured.mad.count))
        }
        if captured.timestamp > CaptureFormat.maxTimestamp {
            throw CaptureError(source: path, problem: .timestampOutOfRange(captured.timestamp))
        }
    }

    private func checkOpen(_ state: borrowing State) throws(CaptureError) {
        switch state.finished {
        case nil: return
        case .closed: throw CaptureError(source: path, problem: .writerClosed)
        case .discarded: throw CaptureError(source: path, problem: .writerDiscarded)
        case .failed(let error): throw error
        }
    }

    private func flush(_ state: inout State) throws(CaptureError) {
        var failure: SystemError?
        state.buffer.withUnsafeBytes { bytes in
            do throws(SystemError) { try state.file.write(bytes) } catch { failure = error }
        }
        if let failure { try fail(&state, .cannotWrite(reason: failure.reason)) }
        state.buffer.removeAll(keepingCapacity: true)
    }

    /// Records a failure, removes the temporary file and throws.
    private func fail(_ state: inout State, _ problem: CaptureError.Problem) throws(CaptureError) {
        let error = CaptureError(source: path, problem: problem)
        state.file.discard()
        state.finished = .failed(error)
        state.buffer = []
        throw error
    }
}

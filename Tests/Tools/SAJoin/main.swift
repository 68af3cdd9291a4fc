// sa-join: joins or leaves a multicast group through the SA, as a host's IPoIB driver does (saquery cannot:
// it only queries). For tests under umad2sim: `sa-join <SA LID> join|leave <MGID>` prints the answer's
// status and MLID and exits 0 when the SA said OK.
import Foundation
import IBTransport
import IBWire

let arguments = CommandLine.arguments
guard arguments.count == 4, let saLID = UInt16(arguments[1]), ["join", "leave"].contains(arguments[2]),
      let mgid = GID(parsing: arguments[3]) else {
    FileHandle.standardError.write(Data("usage: sa-join <SA LID> join|leave <MGID>\n".utf8))
    exit(2)
}
let transport: UMadTransport
do {
    transport = try UMadTransport()
} catch {
    FileHandle.standardError.write(Data("sa-join: \(error)\n".utf8))
    exit(3)
}
var record = MCMemberRecord()
record.mgid = mgid
record.portGID = GID(port: transport.portGUID)
record.joinState = 1 // full member
// MGID, PortGID, JoinState: what joining an existing group needs.
let mask: UInt64 = 1 << 0 | 1 << 1 | 1 << 16
let request = SAMAD(method: arguments[2] == "join" ? .set : .delete, attribute: .mcMemberRecord, transactionID: TransactionIDs.next(),
                    componentMask: mask, data: record.bytes)
var code: Int32 = 1
do {
    let answer = try await transport.exchangeMAD(request.encoded(), to: .generalServices(LID(saLID)), timeout: .seconds(5))
    let response = try SAMAD(decoding: answer.bytes)
    let joined = MCMemberRecord(data: response.data)
    print("status 0x\(String(response.status.rawValue, radix: 16)) mlid 0x\(String(joined.mlid.rawValue, radix: 16))")
    if response.status.isOK { code = 0 }
} catch {
    print("sa-join: \(error)")
}
await transport.close()
exit(code)

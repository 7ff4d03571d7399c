import Testing
import WeaveTestSupport
@testable import WeaveCore

/// The replica → slot table against a Dictionary, over random, small and
/// colliding IDs (growth included).
struct ReplicaSlotsTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func agreesWithADictionary(fixed: UInt64) {
        let seed = TestSeed.pick(fixed)
        var rng = SeededRandom(seed: seed)
        var table = ReplicaSlots()
        var model: [ReplicaID: Int] = [:]
        var ids: [ReplicaID] = [ReplicaID(0), ReplicaID(1), ReplicaID(UInt64.max)]
        for i in 0 ..< 300 {
            switch i % 3 {
            case 0: ids.append(ReplicaID(rng.next()))
            case 1: ids.append(ReplicaID(UInt64(i)))
            default: ids.append(ReplicaID(UInt64(i) << 58))   // same low bits: probes collide
            }
        }
        for id in ids where model[id] == nil {
            #expect(table[id] == nil, "seed \(seed)")
            table.insert(id, slot: model.count)
            model[id] = model.count
            for probe in ids.prefix(50) { #expect(table[probe] == model[probe], "seed \(seed): \(probe)") }
        }
        #expect(table.count == model.count)
        for id in ids { #expect(table[id] == model[id], "seed \(seed)") }
        #expect(table[ReplicaID(0xDEAD_BEEF)] == model[ReplicaID(0xDEAD_BEEF)])
    }
}

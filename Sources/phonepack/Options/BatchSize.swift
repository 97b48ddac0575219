import ArgumentParser
import PhonePackCloud

/// `--batch-size`: server ids per CPH share call, 1 to 100 (what CPH takes); checked by the parser.
struct BatchSize: ExpressibleByArgument, Sendable {
    var value: Int

    init(_ value: Int = CPHRequestRules.maxServersPerShareCall) { self.value = value }

    init?(argument: String) {
        guard let value = Int(argument), (1...CPHRequestRules.maxServersPerShareCall).contains(value) else {
            return nil
        }
        self.value = value
    }

    var defaultValueDescription: String { String(value) }
}

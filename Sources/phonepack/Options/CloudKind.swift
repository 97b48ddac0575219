import ArgumentParser
import Foundation
import PhonePackCloud
import PhonePackCore

enum CloudKind: String, ExpressibleByArgument, CaseIterable {
    case huawei, koophone, alibaba
}

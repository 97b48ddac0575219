import ArgumentParser

enum CloudKind: String, ExpressibleByArgument, CaseIterable {
    case huawei, koophone, alibaba
}

/// What `phonepack --version` reports and every request's User-Agent names.
public enum PhonePackVersion {
    public static let number = "0.1.0"

    /// The libarchive release the tar spec asks for (earlier ones lack tar fixes of 3.7.x; Debian 12 ships 3.6.2
    /// with the security fixes backported). Below it phonepack runs, and says so in `--version`.
    public static let libarchiveFloor = (text: "3.7.9", number: 3_007_009)
}

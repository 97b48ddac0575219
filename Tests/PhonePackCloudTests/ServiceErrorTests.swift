import PhonePackCloud
import Testing

@Suite("Service error formats")
struct ServiceErrorTests {
    func response(_ status: Int, _ body: String, _ headers: [(name: String, value: String)] = []) -> ServiceResponse {
        ServiceResponse(status: status, headers: headers, body: Array(body.utf8))
    }

    @Test("Huawei CPH JSON, gateway codes and IAM's nested form")
    func huawei() {
        let cph = ServiceError(
            response: response(
                400, #"{"request_id":"aad0860d","error_code":"CPS.0004","error_msg":"Invalid phone id."}"#))
        #expect(cph.code == "CPS.0004" && cph.message == "Invalid phone id." && cph.requestID == "aad0860d")
        let gateway = ServiceError(
            response: response(
                401,
                #"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: verify aksk signature fail"}"#
            ))
        #expect(gateway.hint?.contains("--debug-signing") == true && !gateway.isRetryable)
        let throttled = ServiceError(response: response(429, #"{"error_code":"APIGW.0308","error_msg":"too many"}"#))
        #expect(throttled.isRetryable)
        let iam = ServiceError(
            response: response(401, #"{"error":{"code":"401","message":"The username or password is wrong."}}"#))
        #expect(iam.code == "401" && iam.message == "The username or password is wrong.")
    }

    @Test("Alibaba JSON with Recommend, and OSS XML with the server's string to sign")
    func alibaba() {
        let acs = ServiceError(
            response: response(
                400,
                #"{"RequestId":"425F351C","Code":"Throttling.User","Message":"Request was denied due to user flow control.","Recommend":"https://api.aliyun.com/troubleshoot?q=Throttling.User"}"#
            ))
        #expect(acs.code == "Throttling.User" && acs.requestID == "425F351C" && acs.isRetryable)
        #expect(acs.message?.contains("troubleshoot") == true)
        let oss = ServiceError(
            response: response(
                403,
                "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>a &amp; b</Message><RequestId>5C3D</RequestId><StringToSign>PUT\n\n</StringToSign></Error>",
                [("x-oss-request-id", "ignored")]))
        #expect(oss.code == "SignatureDoesNotMatch" && oss.message == "a & b" && oss.requestID == "5C3D")
        #expect(oss.serverStringToSign == "PUT\n\n")
        let skew = ServiceError(response: response(403, "<Error><Code>RequestTimeTooSkewed</Code></Error>"))
        #expect(skew.isClockSkew)
        let headOnly = ServiceError(response: response(404, "", [("x-obs-request-id", "R1")]))
        #expect(headOnly.requestID == "R1" && headOnly.code == nil)
    }
}

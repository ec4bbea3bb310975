// Package wire is Classifly's HTTP wire format, in one place: the error
// codes and their statuses, the error body {"error":{"code","message"}}
// with the one decoder every client uses, the SageMaker custom-attributes
// header that carries a raw upload's options, and the JSON of a
// classification and of the model list.
//
// It imports only the standard library, so that the API, the SageMaker
// backend, the HTTP client of a model endpoint and the Lambda adapter can
// all share it without pulling in each other.
//
//	resp, _ := http.Post(url+"/predict", "image/jpeg", body)
//	if resp.StatusCode != http.StatusOK {
//		b, _ := io.ReadAll(resp.Body)
//		err := wire.ReadError(resp.StatusCode, resp.Header, b)
//		if err.Temporary() { /* retry after err.RetryAfter */ }
//	}
package wire

"""A minimal OpenAI-compatible upstream for checking pmcoach's HTTP contract
by hand (scripts/api-contract.sh): every chat completion is answered with the
same short text, streamed or not; /v1/models lists one model. Not used by
`cargo test`, whose fake upstream lives in tests/common."""

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ANSWER = "Start with the outcome the client is paying for."


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, status, body, content_type="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.endswith("/models"):
            self._send(200, json.dumps({"object": "list", "data": [
                {"id": "fake", "object": "model", "created": 0, "owned_by": "fake"}]}))
        else:
            self._send(404, json.dumps({"error": {"message": "not found"}}))

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        request = json.loads(self.rfile.read(length) or b"{}")
        usage = {"prompt_tokens": 10, "completion_tokens": 9, "total_tokens": 19}
        base = {"id": "chatcmpl-fake", "created": int(time.time()), "model": "fake"}
        if not request.get("stream"):
            body = dict(base, object="chat.completion", usage=usage, choices=[{
                "index": 0, "finish_reason": "stop",
                "message": {"role": "assistant", "content": ANSWER}}])
            self._send(200, json.dumps(body))
            return
        chunks = [
            {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ANSWER}}]},
            {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
            {"choices": [], "usage": usage},
        ]
        body = "".join(
            "data: " + json.dumps(dict(base, object="chat.completion.chunk", **c)) + "\n\n"
            for c in chunks) + "data: [DONE]\n\n"
        self._send(200, body, "text/event-stream")


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()

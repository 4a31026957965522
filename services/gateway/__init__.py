"""HTTP/JSON gateway: routes from the protos' google.api.http options, calls over gRPC."""

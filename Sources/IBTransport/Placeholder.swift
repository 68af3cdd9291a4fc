// IBTransport

// IBCapture

package dev.handoff.ingest.intake;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.BufferUtil;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Jetty answers requests it refuses before Javalin sees them (a URL or headers over its buffer, bad
 * percent-encoding, NUL bytes) with an HTML page by default; this keeps those answers JSON saying what is
 * wrong, like every other answer of the intake. (handoff-streams' query API has its own: services share no code.)
 */
final class JsonErrorHandler extends ErrorHandler {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String JSON = "application/json";

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        if (fields != null) {
            fields.put(HttpHeader.CONTENT_TYPE, JSON);
        }
        return BufferUtil.toBuffer(body(status, reason));
    }

    @Override
    protected void generateAcceptableResponse(Request baseRequest, HttpServletRequest request, HttpServletResponse response,
                                              int code, String message) throws IOException {
        baseRequest.setHandled(true);
        response.setContentType(JSON);
        response.setCharacterEncoding("UTF-8");
        response.getWriter().write(body(code, message));
    }

    static String body(int status, String reason) {
        String why = reason == null || reason.isBlank() ? HttpStatus.getMessage(status) : reason;
        String error = switch (status) {
            case 414 -> "the request URL is too long (HTTP 414 " + why + "): query parameters (format, source, asset, scanned_at) must"
                    + " stay short; the report goes in the body";
            case 431 -> "the request headers are too large (HTTP 431 " + why + "): they must stay short; the report goes in the body";
            default -> "malformed request (HTTP " + status + "): " + why;
        };
        return MAPPER.createObjectNode().put("error", error).toString();
    }
}

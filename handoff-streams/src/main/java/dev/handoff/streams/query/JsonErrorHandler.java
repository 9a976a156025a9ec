package dev.handoff.streams.query;

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
 * Jetty answers requests it cannot parse (bad percent-encoding, NUL bytes, ambiguous paths) before
 * Javalin sees them, with an HTML page by default; this keeps those answers JSON like every other.
 */
final class JsonErrorHandler extends ErrorHandler {

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

    private static String body(int status, String reason) {
        String why = reason == null || reason.isBlank() ? HttpStatus.getMessage(status) : reason;
        return Json.write(Json.object().put("error", "malformed request (HTTP " + status + "): " + why));
    }
}

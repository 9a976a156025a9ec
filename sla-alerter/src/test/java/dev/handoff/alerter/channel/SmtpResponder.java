package dev.handoff.alerter.channel;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A tiny SMTP server on a real socket that answers each command with a scripted reply, for the refusals GreenMail
 * never gives: a 550 unknown mailbox, a 451 greylisting, a 421 greeting, or no greeting at all. Replies are keyed by
 * command verb ({@code EHLO}, {@code MAIL}, {@code RCPT}, {@code DATA}, {@code .} for the end of the message) plus
 * {@code GREETING}; what is not scripted gets the usual positive reply. Replies separated by {@code ||} answer the
 * first, second... use of the command, the last one repeating.
 */
final class SmtpResponder implements AutoCloseable {

    private final ServerSocket server;
    private final Map<String, String> script;
    private final boolean silent;
    private final List<String> commands = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    private SmtpResponder(Map<String, String> script, boolean silent) throws IOException {
        this.server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        this.script = script;
        this.silent = silent;
        this.acceptor = new Thread(this::accept, "smtp-responder-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A server answering with {@code script} where it has a reply for the command. */
    static SmtpResponder answering(Map<String, String> script) throws IOException {
        return new SmtpResponder(script, false);
    }

    /** A server that accepts connections and never says a word. */
    static SmtpResponder silent() throws IOException {
        return new SmtpResponder(Map.of(), true);
    }

    int port() {
        return server.getLocalPort();
    }

    /** The command lines received, in order (message content excluded). */
    List<String> commands() {
        return commands;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                sockets.add(socket);
                if (!silent) {
                    Thread session = new Thread(() -> converse(socket), "smtp-responder-session");
                    session.setDaemon(true);
                    session.start();
                }
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void converse(Socket socket) {
        try (socket;
             BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
             OutputStream out = socket.getOutputStream()) {
            String greeting = script.getOrDefault("GREETING", "220 responder.test ESMTP ready");
            reply(out, greeting);
            if (!greeting.startsWith("2")) {
                return;
            }
            String line;
            int rcpt = 0;
            while ((line = in.readLine()) != null) {
                commands.add(line);
                String verb = line.split("[ :]", 2)[0].toUpperCase(Locale.ROOT);
                switch (verb) {
                    case "EHLO", "HELO" -> reply(out, script.getOrDefault("EHLO", "250 responder.test"));
                    case "MAIL" -> reply(out, script.getOrDefault("MAIL", "250 2.1.0 OK"));
                    case "RCPT" -> reply(out, nth(script.getOrDefault("RCPT", "250 2.1.5 OK"), rcpt++));
                    case "DATA" -> {
                        String data = script.getOrDefault("DATA", "354 End data with <CR><LF>.<CR><LF>");
                        reply(out, data);
                        if (data.startsWith("354")) {
                            String content;
                            while ((content = in.readLine()) != null && !content.equals(".")) {
                                // the message itself is not looked at
                            }
                            reply(out, script.getOrDefault(".", "250 2.0.0 OK queued"));
                        }
                    }
                    case "RSET", "NOOP" -> reply(out, "250 2.0.0 OK");
                    case "QUIT" -> {
                        reply(out, "221 2.0.0 Bye");
                        return;
                    }
                    default -> reply(out, "502 5.5.2 Command not recognised");
                }
            }
        } catch (IOException e) {
            // the client hung up
        }
    }

    private static String nth(String replies, int n) {
        String[] each = replies.split("\\|\\|");
        return each[Math.min(n, each.length - 1)];
    }

    private static void reply(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : sockets) {
            socket.close();
        }
    }
}

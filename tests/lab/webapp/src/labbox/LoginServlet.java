// Copyright (c) 2026, telephony.starface contributors
// GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
// SPDX-License-Identifier: GPL-3.0-or-later

package labbox;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/** Answers GET /rest/login like a STARFACE: the login type and a fresh nonce. */
public class LoginServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String body = "{\"loginType\":\"Internal\",\"nonce\":\"" + UUID.randomUUID() + "\",\"secret\":null}";
        byte[] bytes = body.getBytes(StandardCharsets.US_ASCII);
        response.setContentType("application/json");
        response.setContentLength(bytes.length);
        response.setHeader("Cache-Control", "no-store");
        response.getOutputStream().write(bytes);
    }
}

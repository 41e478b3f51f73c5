import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { TransportProvider } from "@connectrpc/connect-query";
import { QueryClientProvider } from "@tanstack/react-query";
import { createSwitchboardTransport } from "@switchboard/client";
import { BrowserRouter } from "react-router";
import { App } from "./App";
import { createQueryClient } from "./session";
import "./styles.css";

// The server serves the console and the API on one origin.
const transport = createSwitchboardTransport({ baseUrl: window.location.origin });
const queryClient = createQueryClient();

const root = document.getElementById("root");
if (!root) {
  throw new Error("index.html has no #root element");
}
createRoot(root).render(
  <StrictMode>
    <TransportProvider transport={transport}>
      <QueryClientProvider client={queryClient}>
        <BrowserRouter>
          <App />
        </BrowserRouter>
      </QueryClientProvider>
    </TransportProvider>
  </StrictMode>,
);

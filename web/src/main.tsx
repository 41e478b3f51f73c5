import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { TransportProvider } from "@connectrpc/connect-query";
import { QueryClientProvider } from "@tanstack/react-query";
import { createSwitchboardTransport } from "@switchboard/client";
import { BrowserRouter } from "react-router";
import { apiBaseUrl } from "./api";
import { App } from "./App";
import { createQueryClient } from "./session";
import "./styles.css";

const transport = createSwitchboardTransport({ baseUrl: apiBaseUrl() });
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

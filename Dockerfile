# Multi-stage: build a static binary, ship it alone on a non-root distroless base.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/cisbot/cisbot/internal/cli.Version=${VERSION}" \
      -o /out/cisbot ./cmd/bot

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/cisbot /usr/local/bin/cisbot
USER nonroot:nonroot
# The default store (cisbot.db) is created in the working directory: the non-root user's home.
# Mount a volume here, or set store.path, to keep requests and history across restarts.
WORKDIR /home/nonroot
ENTRYPOINT ["/usr/local/bin/cisbot"]

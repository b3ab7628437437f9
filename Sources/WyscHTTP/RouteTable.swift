import HTTPTypes
import Hummingbird
import Synchronization

/// Every route the server serves, as (method, path pattern), recorded as routes are added.
/// Hummingbird keeps its own table to itself, and two things need one: answering a method that a
/// known path does not serve with 405 and `Allow` (not 404), and the test that the OpenAPI document
/// and the router list the same routes.
public final class RouteTable: Sendable {
    public struct Route: Hashable, Sendable {
        public var method: String
        /// The pattern as the OpenAPI document writes it: `/api/v1/competitions/{slug}/phase`.
        public var path: String
        /// A web page (HTML for browsers) rather than an operation of the API.
        public var isPage: Bool
    }

    private let routes = Mutex<[(route: Route, pattern: RouterPath)]>([])

    public init() {}

    public var all: [Route] { routes.withLock { $0.map(\.route) } }

    func add(_ method: HTTPRequest.Method, _ pattern: RouterPath, isPage: Bool) {
        routes.withLock { $0.append((Route(method: method.rawValue, path: pattern.description, isPage: isPage), pattern)) }
    }

    /// The methods served at a request's path, in the order they were added; empty when no route's
    /// pattern matches it.
    func methods(at path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return routes.withLock { routes in
            var methods: [String] = []
            for (route, pattern) in routes
            where pattern.components.count == segments.count && zip(pattern.components, segments).allSatisfy({ $0 ~= $1 })
                && !methods.contains(route.method)
            {
                methods.append(route.method)
            }
            return methods
        }
    }
}

/// A router that records every route it is given in a `RouteTable`; groups made from it record
/// their routes with the full path, since a group adds its routes through its parent.
final class RecordingRouter<Context: RequestContext>: RouterMethods {
    let router: Router<Context>
    let table: RouteTable
    let isPage: Bool

    init(_ router: Router<Context>, table: RouteTable, isPage: Bool = false) {
        self.router = router
        self.table = table
        self.isPage = isPage
    }

    @discardableResult func on<Responder: HTTPResponder>(_ path: RouterPath, method: HTTPRequest.Method, responder: Responder) -> Self
    where Responder.Context == Context {
        table.add(method, path, isPage: isPage)
        router.on(path, method: method, responder: responder)
        return self
    }

    @discardableResult func add(middleware: any MiddlewareProtocol<Request, Response, Context>) -> Self {
        router.add(middleware: middleware)
        return self
    }
}

/// A request whose path is routed, but not for its method, is answered 405 with the methods that
/// are (RFC 9110, 15.5.6), before any token is asked for: the method is wrong whoever asks.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = WyscRequestContext
    let table: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = table.methods(at: request.uri.path)
            guard !allowed.isEmpty else { throw error }
            throw APIError(
                .methodNotAllowed, "method_not_allowed", "\(request.uri.path) answers \(allowed.joined(separator: ", ")), not \(request.method)",
                headers: [.allow: allowed.joined(separator: ", ")])
        }
    }
}
